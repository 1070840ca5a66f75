(** * FloatStep: BP3/BP4 products, the batch mean, the SGD step and
    [sigma'] from a rounded [sigma], in floating point

    FloatPass.v's style: [r] is any rounding with the standard model
    [|r x - x| <= v |x|] that leaves rounded values alone (binary64 without
    underflow: [binary64_no_underflow_model], [v = u]); computed values carry
    a hat ([h]), exact ones do not, and [e*] bounds the error of an input.
    - [prod_entry_error]: one rounded product of two inputs that carry
      errors, [|r (xh yh) - x y| <= ex (|y| + ey) + |x| ey + v (|x| + ex)
      (|y| + ey)] (src/bounds.c [prod_bound]; BP4's [delta_j a_k], BP2's and
      the quadratic BP1's products);
    - [dot_propagated_error]: a recursive sum of [m] rounded products of
      inputs with errors (BP4's [sum_x delta_x a_x]) is within
      [gamma_m sum (|d| + ed)(|a| + ea) + sum (ed (|a| + ea) + |d| ea)];
    - [batch_mean_error], [batch_mean_bias_error]: the batch gradient
      [(1/m) sum_x delta_x a_x] (BP4) and [(1/m) sum_x delta_x] (BP3),
      computed as [r(r(1/m) * fdot)], within [(1/m)(gamma_{m+2} ... + ...)]
      (src/bounds.c [grad_bound]);
    - [sgd_step_fl_error]: the fused step [r(r(decay w) + r(alpha F))] (the
      dgemm with [beta = decay], [alpha = -eta/m]) against the exact
      [decay w + alpha S], which Regularization.v [sgd_fused_weight_update]
      proves is [w - eta dJ/dw]; [sgd_step_fl_any_depth] at any depth;
      [sgd_step_l1_fl_error]: with the L1 shrink first;
      [sgd_step_sparse_fl_error]: the sparse path's order (decayed weight,
      then one rounded term per sample); [sgd_step_sparse_l1_fl_error]: the
      same with the L1 shrink first ([shrink_fl_error]);
    - [sigma''_is_derivative], [sigma'_lipschitz_on], [sigma''_le_quarter],
      [sigma'_from_s_error]: [sigma'] computed as [s (1 - s)] from a rounded
      [s] (src/bounds.c [sig_bound]'s [esp]);
    - [reg_grad_fl_error]: the regularised gradient entry, src/bounds.c
      [reg_grad_bound]'s expression ([four_roundings_gamma4], [sgn_of_near]);
    - [sp_max_is_max], [spp_max_is_max]: src/bounds.c [sp_max] and [spp_max]
      are the maxima of [sigma'] and [|sigma''|] on [[lo, hi]] (upper bounds,
      attained), through [sigma'_antitone], [sigma'''_sign] at
      [z* = ln (2 + sqrt 3)], [abs_sigma''_up], [abs_sigma''_down].
    C: src/bounds.c, src/backprop.c [update_layer], src/sparse.c. *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient Deep Regularization FloatBounds FloatPass.
Open Scope R_scope.

Section Step.

Variables (r : R -> R) (v : R).
Hypothesis r_model : forall x, Rabs (r x - x) <= v * Rabs x.
Hypothesis r_idem : forall x, r (r x) = r x.
Hypothesis v_pos : 0 <= v.

Lemma abs_near p ph e : Rabs (ph - p) <= e -> Rabs ph <= Rabs p + e.
Proof.
  intros H. replace ph with (p + (ph - p)) by ring.
  eapply Rle_trans; [apply Rabs_triang|]. lra.
Qed.

(** One rounded product of two inputs with errors [ex], [ey]. *)
Theorem prod_entry_error x xh ex y yh ey :
  Rabs (xh - x) <= ex -> Rabs (yh - y) <= ey ->
  Rabs (r (xh * yh) - x * y)
  <= ex * (Rabs y + ey) + Rabs x * ey + v * (Rabs x + ex) * (Rabs y + ey).
Proof.
  intros Hx Hy. pose proof (abs_near _ _ _ Hx) as Ax. pose proof (abs_near _ _ _ Hy) as Ay.
  pose proof (r_model (xh * yh)) as M. rewrite Rabs_mult in M.
  replace (r (xh * yh) - x * y)
    with ((r (xh * yh) - xh * yh) + (xh - x) * yh + x * (yh - y) + 0) by ring.
  eapply Rle_trans; [apply abs_triang4|]. rewrite Rabs_R0, !Rabs_mult.
  assert (P1 : Rabs (xh - x) * Rabs yh <= ex * (Rabs y + ey))
    by (apply Rmult_le_compat; auto using Rabs_pos).
  assert (P2 : Rabs x * Rabs (yh - y) <= Rabs x * ey)
    by (apply Rmult_le_compat_l; auto using Rabs_pos).
  assert (P3 : Rabs xh * Rabs yh <= (Rabs x + ex) * (Rabs y + ey))
    by (apply Rmult_le_compat; auto using Rabs_pos).
  assert (P4 : v * (Rabs xh * Rabs yh) <= v * ((Rabs x + ex) * (Rabs y + ey)))
    by (apply Rmult_le_compat_l; auto).
  lra.
Qed.

(** The exact sum of the computed products against the exact one, and its size. *)
Lemma sum_products_near m (dh ah d a ed ea : nat -> R) :
  (forall i, (i < m)%nat -> Rabs (dh i - d i) <= ed i) ->
  (forall i, (i < m)%nat -> Rabs (ah i - a i) <= ea i) ->
  Rabs (fsum m (fun i => dh i * ah i) - fsum m (fun i => d i * a i))
  <= fsum m (fun i => ed i * (Rabs (a i) + ea i) + Rabs (d i) * ea i)
  /\ fsum m (fun i => Rabs (dh i * ah i))
     <= fsum m (fun i => (Rabs (d i) + ed i) * (Rabs (a i) + ea i)).
Proof.
  intros Hd Ha. split.
  - rewrite <- fsum_minus. eapply Rle_trans; [apply fsum_abs|]. apply fsum_le.
    intros i Hi. specialize (Hd i Hi). specialize (Ha i Hi).
    pose proof (abs_near _ _ _ Ha) as A.
    replace (dh i * ah i - d i * a i) with ((dh i - d i) * ah i + d i * (ah i - a i)) by ring.
    eapply Rle_trans; [apply Rabs_triang|]. rewrite !Rabs_mult.
    assert (Rabs (dh i - d i) * Rabs (ah i) <= ed i * (Rabs (a i) + ea i))
      by (apply Rmult_le_compat; auto using Rabs_pos).
    assert (Rabs (d i) * Rabs (ah i - a i) <= Rabs (d i) * ea i)
      by (apply Rmult_le_compat_l; auto using Rabs_pos).
    lra.
  - apply fsum_le. intros i Hi. rewrite Rabs_mult.
    apply Rmult_le_compat; auto using Rabs_pos, abs_near.
Qed.

Lemma gamma_nonneg n : INR n * v < 1 -> 0 <= INR n * v / (1 - INR n * v).
Proof.
  intros H. apply Rmult_le_pos; [apply Rmult_le_pos; [apply pos_INR|exact v_pos]|].
  left. apply Rinv_0_lt_compat. lra.
Qed.

(** A recursive sum of [m] rounded products of inputs with errors. *)
Theorem dot_propagated_error m (dh ah d a ed ea : nat -> R) :
  INR m * v < 1 ->
  (forall i, (i < m)%nat -> Rabs (dh i - d i) <= ed i) ->
  (forall i, (i < m)%nat -> Rabs (ah i - a i) <= ea i) ->
  Rabs (fdot r m dh ah - fsum m (fun i => d i * a i))
  <= INR m * v / (1 - INR m * v) * fsum m (fun i => (Rabs (d i) + ed i) * (Rabs (a i) + ea i))
     + fsum m (fun i => ed i * (Rabs (a i) + ea i) + Rabs (d i) * ea i).
Proof.
  intros Hm Hd Ha. destruct (sum_products_near m dh ah d a ed ea Hd Ha) as [S1 S2].
  pose proof (dot_gamma_n r v r_model r_idem v_pos m dh ah Hm) as D.
  pose proof (gamma_nonneg m Hm) as G.
  assert (G2 : INR m * v / (1 - INR m * v) * fsum m (fun i => Rabs (dh i * ah i))
               <= INR m * v / (1 - INR m * v)
                  * fsum m (fun i => (Rabs (d i) + ed i) * (Rabs (a i) + ea i)))
    by (apply Rmult_le_compat_l; assumption).
  replace (fdot r m dh ah - fsum m (fun i => d i * a i))
    with ((fdot r m dh ah - fsum m (fun i => dh i * ah i))
          + (fsum m (fun i => dh i * ah i) - fsum m (fun i => d i * a i))) by ring.
  eapply Rle_trans; [apply Rabs_triang|]. lra.
Qed.

(** The batch gradient entry [(1/m) sum_x d_x a_x] (BP4; BP3 with [a = 1]):
    the [m]-term sum, then the product by the rounded [1/m]: two more
    roundings, so [gamma_{m+2}]. *)
Theorem batch_mean_error m (dh ah d a ed ea : nat -> R) :
  (0 < m)%nat -> INR (m + 2) * v < 1 ->
  (forall i, (i < m)%nat -> Rabs (dh i - d i) <= ed i) ->
  (forall i, (i < m)%nat -> Rabs (ah i - a i) <= ea i) ->
  Rabs (r (r (/ INR m) * fdot r m dh ah) - / INR m * fsum m (fun i => d i * a i))
  <= / INR m * (INR (m + 2) * v / (1 - INR (m + 2) * v)
                * fsum m (fun i => (Rabs (d i) + ed i) * (Rabs (a i) + ea i))
                + fsum m (fun i => ed i * (Rabs (a i) + ea i) + Rabs (d i) * ea i)).
Proof.
  intros Hm Hm2 Hd Ha. destruct (sum_products_near m dh ah d a ed ea Hd Ha) as [S1 S2].
  set (c := / INR m). assert (Hc : 0 < c) by (apply Rinv_0_lt_compat, lt_0_INR, Hm).
  set (F := fdot r m dh ah). set (St := fsum m (fun i => dh i * ah i)).
  set (Sa := fsum m (fun i => Rabs (dh i * ah i))). set (S := fsum m (fun i => d i * a i)).
  fold St S in S1. fold Sa in S2.
  set (P := (1 + v) ^ m).
  pose proof (dot_error_pow r v r_model r_idem v_pos m dh ah) as D. fold F St Sa P in D.
  pose proof (pow_ge_1 v v_pos m) as P1. fold P in P1.
  assert (HSa : 0 <= Sa) by (apply fsum_nonneg; intros; apply Rabs_pos).
  assert (HF : Rabs F <= P * Sa).
  { pose proof (abs_near _ _ _ D). pose proof (fsum_abs m (fun i => dh i * ah i)).
    fold St in H0. assert (Rabs St <= Sa) by (eapply Rle_trans; [exact H0|];
      apply fsum_le; intros; apply Rle_refl). lra. }
  pose proof (r_model c) as Mc. rewrite (Rabs_pos_eq c) in Mc by lra.
  assert (Hrc : Rabs (r c) <= (1 + v) * c) by (pose proof (abs_near _ _ _ Mc); rewrite (Rabs_pos_eq c) in H by lra; lra).
  pose proof (r_model (r c * F)) as Mp. rewrite Rabs_mult in Mp.
  replace (r (r c * F) - c * S)
    with ((r (r c * F) - r c * F) + (r c - c) * F + c * (F - St) + c * (St - S)) by ring.
  eapply Rle_trans; [apply abs_triang4|]. rewrite !Rabs_mult, (Rabs_pos_eq c) by lra.
  assert (A1 : v * (Rabs (r c) * Rabs F) <= v * ((1 + v) * c * (P * Sa))).
  { apply Rmult_le_compat_l; [exact v_pos|]. apply Rmult_le_compat; auto using Rabs_pos. }
  assert (A2 : Rabs (r c - c) * Rabs F <= v * c * (P * Sa))
    by (apply Rmult_le_compat; auto using Rabs_pos).
  assert (A3 : c * Rabs (F - St) <= c * ((P - 1) * Sa))
    by (apply Rmult_le_compat_l; lra).
  assert (A4 : c * Rabs (St - S) <= c * fsum m (fun i => ed i * (Rabs (a i) + ea i)
                                                        + Rabs (d i) * ea i))
    by (apply Rmult_le_compat_l; lra).
  assert (E : (1 + v) ^ (m + 2) = P * (1 + v) ^ 2) by (unfold P; apply pow_add).
  pose proof (pow_le_gamma v v_pos (m + 2) Hm2) as G. rewrite E in G.
  set (g := INR (m + 2) * v / (1 - INR (m + 2) * v)) in *.
  assert (A5 : ((1 + v) ^ 2 * P - 1) * Sa <= g * fsum m (fun i => (Rabs (d i) + ed i)
                                                                 * (Rabs (a i) + ea i))).
  { eapply Rle_trans; [apply Rmult_le_compat_r; [exact HSa|] |].
    - instantiate (1 := g). lra.
    - apply Rmult_le_compat_l; [|exact S2]. unfold g. apply gamma_nonneg. exact Hm2. }
  assert (A6 : c * (((1 + v) ^ 2 * P - 1) * Sa)
               <= c * (g * fsum m (fun i => (Rabs (d i) + ed i) * (Rabs (a i) + ea i))))
    by (apply Rmult_le_compat_l; lra).
  replace ((1 + v) ^ 2) with ((1 + v) * (1 + v)) in A6 by ring.
  nra.
Qed.

(** BP3's bias entry: the code's dgemv with a vector of ones. *)
Corollary batch_mean_bias_error m (dh d ed : nat -> R) :
  (0 < m)%nat -> INR (m + 2) * v < 1 ->
  (forall i, (i < m)%nat -> Rabs (dh i - d i) <= ed i) ->
  Rabs (r (r (/ INR m) * fdot r m dh (fun _ => 1)) - / INR m * fsum m d)
  <= / INR m * (INR (m + 2) * v / (1 - INR (m + 2) * v) * fsum m (fun i => Rabs (d i) + ed i)
                + fsum m ed).
Proof.
  intros Hm Hm2 Hd.
  pose proof (batch_mean_error m dh (fun _ => 1) d (fun _ => 1) ed (fun _ => 0) Hm Hm2 Hd)
    as B.
  cbv beta in B. rewrite Rabs_R1 in B.
  replace (fsum m (fun i => d i * 1)) with (fsum m d) in B
    by (apply fsum_ext; intros; ring).
  replace (fsum m (fun i => (Rabs (d i) + ed i) * (1 + 0)))
    with (fsum m (fun i => Rabs (d i) + ed i)) in B by (apply fsum_ext; intros; ring).
  replace (fsum m (fun i => ed i * (1 + 0) + Rabs (d i) * 0)) with (fsum m ed) in B
    by (apply fsum_ext; intros; ring).
  apply B. intros i _. rewrite Rminus_diag_eq, Rabs_R0 by reflexivity. lra.
Qed.

(** The fused SGD step as the dense path's dgemm executes it,
    [W <- r(r(decay_h W) + r(alpha_h F))], with [F] the computed [m]-term sum
    ([|F - S| <= ES], e.g. from [dot_propagated_error]) and computed
    coefficients [decay_h], [alpha_h] within [kd], [ka] relative of
    [decay = 1 - eta lambda/n] and [alpha = -eta/m].  The exact value
    [decay w + alpha S] is [w - eta dJ/dw] (Regularization.v
    [sgd_fused_weight_update], [sgd_step_any_depth], [lambda_1 = 0]). *)
Theorem sgd_step_fl_error w decay dech alpha alh S F ES kd ka :
  Rabs (dech - decay) <= kd * Rabs decay -> Rabs (alh - alpha) <= ka * Rabs alpha ->
  Rabs (F - S) <= ES -> 0 <= kd -> 0 <= ka ->
  Rabs (r (r (dech * w) + r (alh * F)) - (decay * w + alpha * S))
  <= v * (Rabs (decay * w) + Rabs (alpha * S))
     + (1 + v) * (((1 + kd) * (1 + v) - 1) * Rabs (decay * w)
                  + Rabs alpha * (((1 + ka) * (1 + v) - 1) * (Rabs S + ES) + ES)).
Proof.
  intros Hd Ha HF Hkd Hka.
  set (P := r (dech * w)). set (Q := r (alh * F)).
  pose proof (r_model (dech * w)) as MP. pose proof (r_model (alh * F)) as MQ.
  fold P in MP. fold Q in MQ. rewrite Rabs_mult in MP, MQ.
  pose proof (abs_near _ _ _ Hd) as Ad. pose proof (abs_near _ _ _ Ha) as Aa.
  pose proof (abs_near _ _ _ HF) as AF.
  assert (EP : Rabs (P - decay * w) <= ((1 + kd) * (1 + v) - 1) * Rabs (decay * w)).
  { replace (P - decay * w) with ((P - dech * w) + (dech - decay) * w) by ring.
    eapply Rle_trans; [apply Rabs_triang|]. rewrite Rabs_mult, Rabs_mult.
    assert (v * (Rabs dech * Rabs w) <= v * ((Rabs decay + kd * Rabs decay) * Rabs w))
      by (apply Rmult_le_compat_l; [exact v_pos|];
          apply Rmult_le_compat_r; [apply Rabs_pos|lra]).
    assert (Rabs (dech - decay) * Rabs w <= kd * Rabs decay * Rabs w)
      by (apply Rmult_le_compat_r; [apply Rabs_pos|lra]).
    assert (0 <= kd * v * (Rabs decay * Rabs w))
      by (apply Rmult_le_pos; [nra|apply Rmult_le_pos; apply Rabs_pos]).
    nra. }
  assert (EQ : Rabs (Q - alpha * S)
               <= Rabs alpha * (((1 + ka) * (1 + v) - 1) * (Rabs S + ES) + ES)).
  { replace (Q - alpha * S) with ((Q - alh * F) + (alh - alpha) * F + alpha * (F - S)) by ring.
    eapply Rle_trans; [apply Rabs_triang|].
    eapply Rle_trans; [apply Rplus_le_compat_r, Rabs_triang|]. rewrite !Rabs_mult.
    assert (H0 : 0 <= ES) by (eapply Rle_trans; [apply Rabs_pos|exact HF]).
    assert (H1 : Rabs alh * Rabs F <= (1 + ka) * Rabs alpha * (Rabs S + ES))
      by (apply Rmult_le_compat; auto using Rabs_pos; lra).
    assert (H2 : Rabs (alh - alpha) * Rabs F <= ka * Rabs alpha * (Rabs S + ES))
      by (apply Rmult_le_compat; auto using Rabs_pos).
    assert (H3 : Rabs alpha * Rabs (F - S) <= Rabs alpha * ES)
      by (apply Rmult_le_compat_l; auto using Rabs_pos).
    assert (H4 : v * (Rabs alh * Rabs F) <= v * ((1 + ka) * Rabs alpha * (Rabs S + ES)))
      by (apply Rmult_le_compat_l; auto).
    nra. }
  pose proof (r_model (P + Q)) as MS.
  assert (T : Rabs (P + Q - (decay * w + alpha * S))
              <= Rabs (P - decay * w) + Rabs (Q - alpha * S)).
  { replace (P + Q - (decay * w + alpha * S)) with ((P - decay * w) + (Q - alpha * S))
      by ring. apply Rabs_triang. }
  assert (T2 : Rabs (P + Q) <= Rabs (decay * w) + Rabs (alpha * S)
                               + Rabs (P + Q - (decay * w + alpha * S))).
  { pose proof (abs_near _ _ _ (Rle_refl (Rabs (P + Q - (decay * w + alpha * S))))).
    pose proof (Rabs_triang (decay * w) (alpha * S)). lra. }
  replace (r (P + Q) - (decay * w + alpha * S))
    with ((r (P + Q) - (P + Q)) + (P + Q - (decay * w + alpha * S))) by ring.
  eapply Rle_trans; [apply Rabs_triang|].
  assert (v * Rabs (P + Q) <= v * (Rabs (decay * w) + Rabs (alpha * S)
                                   + Rabs (P + Q - (decay * w + alpha * S))))
    by (apply Rmult_le_compat_l; auto).
  assert (v * Rabs (P + Q - (decay * w + alpha * S))
          <= v * (((1 + kd) * (1 + v) - 1) * Rabs (decay * w)
                  + Rabs alpha * (((1 + ka) * (1 + v) - 1) * (Rabs S + ES) + ES)))
    by (apply Rmult_le_compat_l; auto; lra).
  lra.
Qed.

Lemma sgn_abs_le_1 w : Rabs (sgn w) <= 1.
Proof.
  unfold sgn. destruct (Rlt_dec 0 w), (Rlt_dec w 0);
    try (rewrite Rabs_pos_eq; lra); (rewrite Rabs_left1; lra).
Qed.

(** The L1 shrink as both paths compute it, [w1 = r(w - r(shrink_h sgn w))],
    against the exact [w - shrink sgn w]. *)
Lemma shrink_fl_error w shh shrink :
  Rabs (r (w - r (shh * sgn w)) - (w - shrink * sgn w))
  <= v * (Rabs w + (1 + v) * Rabs shh) + v * Rabs shh + Rabs (shh - shrink).
Proof.
  pose proof (sgn_abs_le_1 w) as G. set (sg := sgn w) in *.
  set (p := r (shh * sg)). pose proof (r_model (shh * sg)) as Mp. fold p in Mp.
  rewrite Rabs_mult in Mp.
  assert (Hs : Rabs shh * Rabs sg <= Rabs shh)
    by (rewrite <- (Rmult_1_r (Rabs shh)) at 2; apply Rmult_le_compat_l; auto using Rabs_pos).
  assert (Ap : Rabs p <= (1 + v) * Rabs shh).
  { pose proof (abs_near _ _ _ Mp). rewrite Rabs_mult in H.
    assert (v * (Rabs shh * Rabs sg) <= v * Rabs shh) by (apply Rmult_le_compat_l; auto).
    lra. }
  pose proof (r_model (w - p)) as Mq.
  assert (Aq : Rabs (w - p) <= Rabs w + (1 + v) * Rabs shh).
  { unfold Rminus. eapply Rle_trans; [apply Rabs_triang|]. rewrite Rabs_Ropp. lra. }
  replace (r (w - p) - (w - shrink * sg))
    with ((r (w - p) - (w - p)) - (p - shh * sg) - (shh - shrink) * sg) by ring.
  unfold Rminus at 1. eapply Rle_trans; [apply Rabs_triang|].
  rewrite Rabs_Ropp, Rabs_mult.
  unfold Rminus at 1. eapply Rle_trans; [apply Rplus_le_compat_r, Rabs_triang|].
  rewrite Rabs_Ropp.
  assert (v * Rabs (w - p) <= v * (Rabs w + (1 + v) * Rabs shh))
    by (apply Rmult_le_compat_l; auto).
  assert (v * (Rabs shh * Rabs sg) <= v * Rabs shh) by (apply Rmult_le_compat_l; auto).
  assert (Rabs (shh - shrink) * Rabs sg <= Rabs (shh - shrink))
    by (rewrite <- (Rmult_1_r (Rabs (shh - shrink))) at 2;
        apply Rmult_le_compat_l; auto using Rabs_pos).
  replace (r (w - p) + - (w - p)) with (r (w - p) - (w - p)) by ring.
  replace (p + - (shh * sg)) with (p - shh * sg) by ring. lra.
Qed.

(** A step computed from the shrunk [w1h] instead of [w - shrink sgn w]: the
    shrink's error, scaled by [decay], adds to the step's own error [B]. *)
Lemma step_after_shrink decay w w1h shrink F S0 B :
  Rabs (F - (decay * w1h + S0)) <= B ->
  Rabs (F - (decay * (w - shrink * sgn w) + S0))
  <= B + Rabs decay * Rabs (w1h - (w - shrink * sgn w)).
Proof.
  intros H.
  replace (F - (decay * (w - shrink * sgn w) + S0))
    with ((F - (decay * w1h + S0)) + decay * (w1h - (w - shrink * sgn w))) by ring.
  eapply Rle_trans; [apply Rabs_triang|]. rewrite Rabs_mult. lra.
Qed.

(** The step with L1 as the dense path runs it: first [w1 = r(w - r(shrink_h
    sgn w))], then the dgemm on [w1].  Against the exact
    [decay (w - shrink sgn w) + alpha S] (= [w - eta dJ/dw]:
    Regularization.v [sgd_fused_weight_update]); the shrink adds
    [|decay| (v (|w| + (1 + v)|shrink_h|) + v |shrink_h| + |shrink_h - shrink|)]. *)
Theorem sgd_step_l1_fl_error w shh shrink decay dech alpha alh S F ES kd ka :
  Rabs (dech - decay) <= kd * Rabs decay -> Rabs (alh - alpha) <= ka * Rabs alpha ->
  Rabs (F - S) <= ES -> 0 <= kd -> 0 <= ka ->
  let w1h := r (w - r (shh * sgn w)) in
  Rabs (r (r (dech * w1h) + r (alh * F)) - (decay * (w - shrink * sgn w) + alpha * S))
  <= v * (Rabs (decay * w1h) + Rabs (alpha * S))
     + (1 + v) * (((1 + kd) * (1 + v) - 1) * Rabs (decay * w1h)
                  + Rabs alpha * (((1 + ka) * (1 + v) - 1) * (Rabs S + ES) + ES))
     + Rabs decay * (v * (Rabs w + (1 + v) * Rabs shh) + v * Rabs shh + Rabs (shh - shrink)).
Proof.
  intros Hd Ha HF Hkd Hka w1h.
  pose proof (sgd_step_fl_error w1h decay dech alpha alh S F ES kd ka Hd Ha HF Hkd Hka) as A.
  eapply Rle_trans; [apply (step_after_shrink _ _ w1h _ _ _ _ A)|].
  apply Rplus_le_compat_l, Rmult_le_compat_l; [apply Rabs_pos|apply shrink_fl_error].
Qed.

(** [cons0 c f] is [c], then [f 0, f 1, ...]: the decayed weight first, then
    one term per sample. *)
Definition cons0 (c : R) (f : nat -> R) (i : nat) : R :=
  match i with O => c | S k => f k end.

Lemma fsum_cons0 m (g : R -> R -> R) c f c' f' :
  fsum (S m) (fun i => g (cons0 c f i) (cons0 c' f' i))
  = g c c' + fsum m (fun i => g (f i) (f' i)).
Proof.
  induction m as [|m IH]; [simpl; ring|].
  change (fsum (S (S m)) ?h) with (fsum (S m) h + h (S m)). rewrite IH.
  change (fsum (S m) ?h) with (fsum m h + h m). cbv beta. simpl cons0. ring.
Qed.

(** The sparse path's step (src/sparse.c): [w] is scaled by [decay_h] first,
    then each sample adds its rounded term [r(p_i x_i)], [p_i] the computed
    [alpha delta_i], in sample order: a recursive sum of [m + 1] rounded
    products ([fdot] on [cons0]).  Against the exact [decay w + alpha S]. *)
Theorem sgd_step_sparse_fl_error m w dech decay kd alpha (p x d : nat -> R) :
  INR (S m) * v < 1 -> Rabs (dech - decay) <= kd * Rabs decay ->
  Rabs (fdot r (S m) (cons0 dech p) (cons0 w x)
        - (decay * w + alpha * fsum m (fun i => d i * x i)))
  <= INR (S m) * v / (1 - INR (S m) * v)
       * (Rabs (dech * w) + fsum m (fun i => Rabs (p i * x i)))
     + kd * Rabs (decay * w) + fsum m (fun i => Rabs (p i - alpha * d i) * Rabs (x i)).
Proof.
  intros Hm Hd.
  pose proof (dot_gamma_n r v r_model r_idem v_pos (S m) (cons0 dech p) (cons0 w x) Hm) as D.
  rewrite (fsum_cons0 m (fun a b => a * b)), (fsum_cons0 m (fun a b => Rabs (a * b))) in D.
  set (F := fdot r (S m) (cons0 dech p) (cons0 w x)) in *.
  assert (E : fsum m (fun i => p i * x i) - alpha * fsum m (fun i => d i * x i)
              = fsum m (fun i => (p i - alpha * d i) * x i)).
  { rewrite <- fsum_scal_l, <- fsum_minus. apply fsum_ext. intros; ring. }
  assert (A : Rabs (fsum m (fun i => (p i - alpha * d i) * x i))
              <= fsum m (fun i => Rabs (p i - alpha * d i) * Rabs (x i))).
  { eapply Rle_trans; [apply fsum_abs|]. apply fsum_le. intros. rewrite Rabs_mult. lra. }
  assert (B : Rabs ((dech - decay) * w) <= kd * Rabs (decay * w)).
  { rewrite !Rabs_mult, <- Rmult_assoc. apply Rmult_le_compat_r; [apply Rabs_pos|exact Hd]. }
  replace (F - (decay * w + alpha * fsum m (fun i => d i * x i)))
    with ((F - (dech * w + fsum m (fun i => p i * x i))) + (dech - decay) * w
          + fsum m (fun i => (p i - alpha * d i) * x i) + 0) by (rewrite <- E; ring).
  eapply Rle_trans; [apply abs_triang4|]. rewrite Rabs_R0. lra.
Qed.

(** The sparse path's step with L1 (src/sparse-kernels.h [decay_rows], then
    [update_rows]): [w1 = r(w - r(shrink_h sgn w))], then the decayed [w1]
    first and one rounded term per sample.  Against the exact
    [decay (w - shrink sgn w) + alpha S], which Regularization.v
    [sgd_sparse_step_any_depth] proves is [w - eta dJ/dw] with L2 and L1. *)
Theorem sgd_step_sparse_l1_fl_error m w shh shrink dech decay kd alpha (p x d : nat -> R) :
  INR (S m) * v < 1 -> Rabs (dech - decay) <= kd * Rabs decay ->
  let w1h := r (w - r (shh * sgn w)) in
  Rabs (fdot r (S m) (cons0 dech p) (cons0 w1h x)
        - (decay * (w - shrink * sgn w) + alpha * fsum m (fun i => d i * x i)))
  <= INR (S m) * v / (1 - INR (S m) * v)
       * (Rabs (dech * w1h) + fsum m (fun i => Rabs (p i * x i)))
     + kd * Rabs (decay * w1h) + fsum m (fun i => Rabs (p i - alpha * d i) * Rabs (x i))
     + Rabs decay * (v * (Rabs w + (1 + v) * Rabs shh) + v * Rabs shh + Rabs (shh - shrink)).
Proof.
  intros Hm Hd w1h.
  pose proof (sgd_step_sparse_fl_error m w1h dech decay kd alpha p x d Hm Hd) as A.
  eapply Rle_trans; [apply (step_after_shrink _ _ w1h _ _ _ _ A)|].
  apply Rplus_le_compat_l, Rmult_le_compat_l; [apply Rabs_pos|apply shrink_fl_error].
Qed.

(** [sigma'] computed as [r(s r(1 - s))] from a computed [s] within [d] of
    [sigma zh]: [|s(1-s) - t(1-t)| = |s - t| |1 - s - t| <= d (1 + d)], then
    two roundings ([gamma_2]). *)
Lemma sigma'_from_s_rounding zh sh d :
  2 * v < 1 -> Rabs (sh - sigma zh) <= d ->
  Rabs (r (sh * r (1 - sh)) - sigma' zh)
  <= d * (1 + d) * (1 + 2 * v / (1 - 2 * v)) + 2 * v / (1 - 2 * v) * sigma' zh.
Proof.
  intros Hv Hd. set (t := sigma zh) in *.
  pose proof (sigma_pos zh) as T0. pose proof (sigma_lt_1 zh) as T1. fold t in T0, T1.
  assert (Hd0 : 0 <= d) by (eapply Rle_trans; [apply Rabs_pos|exact Hd]).
  assert (C : Rabs (sh * (1 - sh) - t * (1 - t)) <= d * (1 + d)).
  { replace (sh * (1 - sh) - t * (1 - t)) with ((sh - t) * ((1 - 2 * t) - (sh - t))) by ring.
    rewrite Rabs_mult. apply Rmult_le_compat; auto using Rabs_pos.
    eapply Rle_trans; [apply Rabs_triang|]. rewrite Rabs_Ropp.
    assert (Rabs (1 - 2 * t) <= 1) by (apply Rabs_le; lra). lra. }
  set (q := r (1 - sh)). pose proof (r_model (1 - sh)) as Mq. fold q in Mq.
  pose proof (r_model (sh * q)) as Mp. rewrite Rabs_mult in Mp.
  assert (Aq : Rabs q <= (1 + v) * Rabs (1 - sh)) by (pose proof (abs_near _ _ _ Mq); lra).
  assert (R : Rabs (r (sh * q) - sh * (1 - sh)) <= (2 * v + v * v) * Rabs (sh * (1 - sh))).
  { replace (r (sh * q) - sh * (1 - sh)) with ((r (sh * q) - sh * q) + sh * (q - (1 - sh)))
      by ring.
    eapply Rle_trans; [apply Rabs_triang|]. rewrite !Rabs_mult.
    assert (v * (Rabs sh * Rabs q) <= v * (Rabs sh * ((1 + v) * Rabs (1 - sh))))
      by (apply Rmult_le_compat_l; [exact v_pos|]; apply Rmult_le_compat_l; auto using Rabs_pos).
    assert (Rabs sh * Rabs (q - (1 - sh)) <= Rabs sh * (v * Rabs (1 - sh)))
      by (apply Rmult_le_compat_l; auto using Rabs_pos).
    nra. }
  pose proof (pow_le_gamma v v_pos 2 ltac:(simpl; lra)) as G. simpl INR in G.
  replace (1 + 1) with 2 in G by ring.
  set (g := 2 * v / (1 - 2 * v)) in *.
  assert (G2 : 2 * v + v * v <= g) by (simpl in G; lra).
  assert (Hs : sigma' zh = t * (1 - t)) by reflexivity.
  assert (Hsp : 0 < t * (1 - t)) by nra.
  assert (B : Rabs (sh * (1 - sh)) <= t * (1 - t) + d * (1 + d)).
  { pose proof (abs_near _ _ _ C). rewrite (Rabs_pos_eq (t * (1 - t))) in H by lra. lra. }
  assert (R2 : (2 * v + v * v) * Rabs (sh * (1 - sh)) <= g * (t * (1 - t) + d * (1 + d))).
  { apply Rmult_le_compat; auto using Rabs_pos. nra. }
  rewrite Hs.
  replace (r (sh * q) - t * (1 - t))
    with ((r (sh * q) - sh * (1 - sh)) + (sh * (1 - sh) - t * (1 - t))) by ring.
  eapply Rle_trans; [apply Rabs_triang|]. nra.
Qed.

(** ** The regularised gradient entry (src/bounds.c [reg_grad_bound]) *)

(** Two relative errors compose: [|(1 + a)(1 + b) - 1| <= (1 + A)(1 + B) - 1]. *)
Lemma rel_compose a A b B :
  Rabs a <= A -> Rabs b <= B ->
  Rabs ((1 + a) * (1 + b) - 1) <= (1 + A) * (1 + B) - 1.
Proof.
  intros Ha Hb. replace ((1 + a) * (1 + b) - 1) with (a + b + a * b) by ring.
  eapply Rle_trans; [apply Rabs_triang|].
  eapply Rle_trans; [apply Rplus_le_compat_r, Rabs_triang|]. rewrite Rabs_mult.
  assert (Rabs a * Rabs b <= A * B) by (apply Rmult_le_compat; auto using Rabs_pos). lra.
Qed.

(** Up to four roundings of one term (the coefficient [lambda] or [l1], its
    division by [n], the product by [w], the sum of the two terms; a factor
    [d = 0] for a rounding that does not occur) stay within [gamma_4]. *)
Lemma four_roundings_gamma4 d1 d2 d3 d4 :
  4 * v < 1 -> Rabs d1 <= v -> Rabs d2 <= v -> Rabs d3 <= v -> Rabs d4 <= v ->
  Rabs ((1 + d1) * (1 + d2) * (1 + d3) * (1 + d4) - 1) <= 4 * v / (1 - 4 * v).
Proof.
  intros Hv H1 H2 H3 H4.
  assert (A : Rabs ((1 + d1) * (1 + d2) - 1) <= (1 + v) * (1 + v) - 1)
    by (apply rel_compose; assumption).
  assert (B : Rabs ((1 + d1) * (1 + d2) * (1 + d3) - 1) <= (1 + v) * (1 + v) * (1 + v) - 1).
  { replace ((1 + d1) * (1 + d2) * (1 + d3)) with ((1 + ((1 + d1) * (1 + d2) - 1)) * (1 + d3))
      by ring.
    replace ((1 + v) * (1 + v) * (1 + v)) with ((1 + ((1 + v) * (1 + v) - 1)) * (1 + v))
      by ring.
    apply rel_compose; assumption. }
  assert (C : Rabs ((1 + d1) * (1 + d2) * (1 + d3) * (1 + d4) - 1)
              <= (1 + v) * (1 + v) * (1 + v) * (1 + v) - 1).
  { replace ((1 + d1) * (1 + d2) * (1 + d3) * (1 + d4))
      with ((1 + ((1 + d1) * (1 + d2) * (1 + d3) - 1)) * (1 + d4)) by ring.
    replace ((1 + v) * (1 + v) * (1 + v) * (1 + v))
      with ((1 + ((1 + v) * (1 + v) * (1 + v) - 1)) * (1 + v)) by ring.
    apply rel_compose; assumption. }
  pose proof (pow_le_gamma v v_pos 4 ltac:(simpl; lra)) as G.
  replace (INR 4) with 4 in G by (simpl; ring). simpl pow in G.
  eapply Rle_trans; [exact C|]. lra.
Qed.

(** Inputs rounded with relative error [ui < 1] keep their sign. *)
Lemma sgn_of_near w wh ui :
  0 <= ui < 1 -> Rabs (wh - w) <= ui * Rabs w -> sgn wh = sgn w.
Proof.
  intros Hu H. apply Rabs_le_between in H. unfold sgn.
  destruct (Rlt_dec 0 w) as [P|P].
  - rewrite Rabs_pos_eq in H by lra.
    destruct (Rlt_dec 0 wh); [|nra]. destruct (Rlt_dec wh 0); [nra|].
    destruct (Rlt_dec w 0); [lra|reflexivity].
  - destruct (Rlt_dec w 0) as [N|N].
    + rewrite Rabs_left in H by lra.
      destruct (Rlt_dec 0 wh); [nra|]. destruct (Rlt_dec wh 0); [reflexivity|nra].
    + assert (w = 0) by lra. subst w. rewrite Rabs_R0 in H.
      assert (wh = 0) by lra. subst wh. destruct (Rlt_dec 0 0); lra.
Qed.

(** The regularised gradient entry [dw + (lambda/n) w + (l1/n) sgn w]
    (Regularization.v [regularised_batch_gradient], [rl = lambda/n],
    [r1 = l1/n]) computed as one rounded sum [r(dw_h + R_h)] of the computed
    data gradient ([|dw_h - dw| <= edw]) and the computed regularisation
    term [R_h = rl w_h (1 + ta) + r1 sgn(w_h) (1 + tb)], each term within
    [gamma_4] ([four_roundings_gamma4]), from the rounded weight
    [|w_h - w| <= ui |w|].  The bound is src/bounds.c [reg_grad_bound]'s
    expression, term for term. *)
Theorem reg_grad_fl_error dw dwh edw w wh ui rl r1 Rh ta tb :
  0 <= rl -> 0 <= r1 -> 0 <= ui < 1 -> 4 * v < 1 ->
  Rabs (dwh - dw) <= edw -> Rabs (wh - w) <= ui * Rabs w ->
  Rh = rl * wh * (1 + ta) + r1 * sgn wh * (1 + tb) ->
  Rabs ta <= 4 * v / (1 - 4 * v) -> Rabs tb <= 4 * v / (1 - 4 * v) ->
  let ew := ui * Rabs w in
  let g4 := 4 * v / (1 - 4 * v) in
  let er := rl * ew + g4 * (rl * (Rabs w + ew) + r1) in
  Rabs (r (dwh + Rh) - (dw + rl * w + r1 * sgn w))
  <= edw + er + v * (Rabs dw + edw + rl * (Rabs w + ew) + r1 + er).
Proof.
  intros Hrl Hr1 Hui Hv Hdw Hw HR Hta Htb ew g4 er.
  rewrite (sgn_of_near w wh ui Hui Hw) in HR.
  pose proof (sgn_abs_le_1 w) as S1. set (s := sgn w) in *.
  fold ew in Hw. fold g4 in Hta, Htb. pose proof (abs_near _ _ _ Hw) as Aw.
  assert (Hg4 : 0 <= g4) by (eapply Rle_trans; [apply Rabs_pos|exact Hta]).
  assert (Hew : 0 <= ew) by (eapply Rle_trans; [apply Rabs_pos|exact Hw]).
  assert (ER : Rabs (Rh - (rl * w + r1 * s)) <= er).
  { rewrite HR.
    replace (rl * wh * (1 + ta) + r1 * s * (1 + tb) - (rl * w + r1 * s))
      with (rl * (wh - w) + rl * wh * ta + r1 * s * tb) by ring.
    eapply Rle_trans; [apply Rabs_triang|].
    eapply Rle_trans; [apply Rplus_le_compat_r, Rabs_triang|].
    rewrite !Rabs_mult, !(Rabs_pos_eq rl), (Rabs_pos_eq r1) by lra.
    assert (rl * Rabs (wh - w) <= rl * ew) by (apply Rmult_le_compat_l; lra).
    assert (rl * Rabs wh * Rabs ta <= rl * (Rabs w + ew) * g4)
      by (apply Rmult_le_compat; [apply Rmult_le_pos; [lra|apply Rabs_pos]|apply Rabs_pos
         |apply Rmult_le_compat_l; lra|lra]).
    assert (r1 * Rabs s * Rabs tb <= r1 * 1 * g4)
      by (apply Rmult_le_compat; [apply Rmult_le_pos; [lra|apply Rabs_pos]|apply Rabs_pos
         |apply Rmult_le_compat_l; lra|lra]).
    unfold er. nra. }
  assert (T : Rabs (dwh + Rh - (dw + rl * w + r1 * s)) <= edw + er).
  { replace (dwh + Rh - (dw + rl * w + r1 * s))
      with ((dwh - dw) + (Rh - (rl * w + r1 * s))) by ring.
    eapply Rle_trans; [apply Rabs_triang|]. lra. }
  assert (X : Rabs (dwh + Rh) <= Rabs dw + edw + rl * (Rabs w + ew) + r1 + er).
  { pose proof (abs_near _ _ _ T) as A.
    assert (Rabs (dw + rl * w + r1 * s) <= Rabs dw + rl * Rabs w + r1).
    { eapply Rle_trans; [apply Rabs_triang|].
      eapply Rle_trans; [apply Rplus_le_compat_r, Rabs_triang|].
      rewrite !Rabs_mult, (Rabs_pos_eq rl), (Rabs_pos_eq r1) by lra.
      assert (r1 * Rabs s <= r1 * 1) by (apply Rmult_le_compat_l; lra). lra. }
    assert (rl * Rabs w <= rl * (Rabs w + ew)) by (apply Rmult_le_compat_l; lra). lra. }
  pose proof (r_model (dwh + Rh)) as M.
  replace (r (dwh + Rh) - (dw + rl * w + r1 * s))
    with ((r (dwh + Rh) - (dwh + Rh)) + (dwh + Rh - (dw + rl * w + r1 * s))) by ring.
  eapply Rle_trans; [apply Rabs_triang|].
  assert (v * Rabs (dwh + Rh) <= v * (Rabs dw + edw + rl * (Rabs w + ew) + r1 + er))
    by (apply Rmult_le_compat_l; assumption). lra.
Qed.

End Step.

(** [sigma'' = sigma' (1 - 2 sigma)]. *)
Definition sigma'' (z : R) : R := sigma' z * (1 - 2 * sigma z).

Theorem sigma''_is_derivative z : is_derive sigma' z (sigma'' z).
Proof.
  unfold sigma'', sigma', sigma. pose proof (one_plus_exp_pos (- z)). auto_derive.
  - lra.
  - field. lra.
Qed.

Theorem sigma''_le_quarter z : Rabs (sigma'' z) <= / 4.
Proof.
  unfold sigma''. rewrite Rabs_mult, (Rabs_pos_eq (sigma' z)) by (left; apply sigma'_pos).
  pose proof (sigma'_le_quarter z). pose proof (sigma'_pos z).
  pose proof (sigma_pos z). pose proof (sigma_lt_1 z).
  assert (Rabs (1 - 2 * sigma z) <= 1) by (apply Rabs_le; lra).
  assert (sigma' z * Rabs (1 - 2 * sigma z) <= sigma' z * 1)
    by (apply Rmult_le_compat_l; lra).
  lra.
Qed.

(** Mean value theorem: [|sigma' a - sigma' b| <= M |a - b|] for any bound
    [M] of [|sigma''|] between [a] and [b] (src/bounds.c [spp_max]). *)
Theorem sigma'_lipschitz_on a b M :
  (forall t, Rmin b a <= t <= Rmax b a -> Rabs (sigma'' t) <= M) ->
  Rabs (sigma' a - sigma' b) <= M * Rabs (a - b).
Proof.
  intros HM. destruct (MVT_gen sigma' b a sigma'') as [c [Hc E]].
  - intros t _. apply sigma''_is_derivative.
  - intros t _. apply derivable_continuous_pt. exists (sigma'' t).
    apply is_derive_Reals, sigma''_is_derivative.
  - rewrite E, Rabs_mult. apply Rmult_le_compat_r; [apply Rabs_pos|]. apply HM, Hc.
Qed.

(** src/bounds.c [sig_bound]'s [esp]: the rounded [sigma'] from a computed
    [s] within [d] of [sigma zh], against the exact [sigma'(z)],
    [|zh - z| <= ez]: [M ez + d (1 + d)(1 + gamma_2) + gamma_2 sigma'(zh)]. *)
Theorem sigma'_from_s_error (r : R -> R) v z zh ez sh d M :
  (forall x, Rabs (r x - x) <= v * Rabs x) -> 0 <= v -> 2 * v < 1 ->
  Rabs (zh - z) <= ez -> Rabs (sh - sigma zh) <= d ->
  (forall t, Rmin z zh <= t <= Rmax z zh -> Rabs (sigma'' t) <= M) ->
  Rabs (r (sh * r (1 - sh)) - sigma' z)
  <= M * ez + d * (1 + d) * (1 + 2 * v / (1 - 2 * v)) + 2 * v / (1 - 2 * v) * sigma' zh.
Proof.
  intros Hr Hv Hv2 Hz Hd HM.
  pose proof (sigma'_from_s_rounding r v Hr Hv zh sh d Hv2 Hd) as A.
  pose proof (sigma'_lipschitz_on zh z M HM) as B.
  assert (HM0 : 0 <= M) by (eapply Rle_trans; [apply Rabs_pos|apply (HM z)];
                            split; [apply Rmin_l|apply Rmax_l]).
  assert (M * Rabs (zh - z) <= M * ez) by (apply Rmult_le_compat_l; assumption).
  replace (r (sh * r (1 - sh)) - sigma' z)
    with ((r (sh * r (1 - sh)) - sigma' zh) + (sigma' zh - sigma' z)) by ring.
  eapply Rle_trans; [apply Rabs_triang|]. lra.
Qed.

(** The step at any depth in floating point: the weight the dense path
    writes, [r(r(decay_h W^l_jk) + r(alpha_h F))], is within the bound of
    [sgd_step_fl_error] of the exact gradient step [W^l_jk - eta G], [G] the
    derivative of the L2-regularised batch cost (Regularization.v
    [sgd_step_any_depth], [lambda_1 = 0]); [F] is the computed
    [(D^l (A^{l-1})^T)_jk], within [ES] of the exact one
    ([dot_propagated_error]). *)
Theorem sgd_step_fl_any_depth (r : R -> R) v sz b L m X g dL eta lam n W l j k
  dech alh F ES kd ka :
  (forall x, Rabs (r x - x) <= v * Rabs x) -> 0 <= v ->
  (1 <= l <= L)%nat -> (j < sz l)%nat -> (k < sz (l - 1))%nat -> 0 < n ->
  (0 < m)%nat -> 0 < 1 - eta * lam / n ->
  (forall s, (s < m)%nat -> has_grad (sz L) (g s) (zfb sz (X s) W b L) (dL s)) ->
  let S := DAt m (fun j' s => delta sz b (X s) W L (dL s) l j')
                 (fun k' s => ain sz (X s) W b (l - 1) k') j k in
  let decay := 1 - eta * lam / n in
  let alpha := - eta / INR m in
  Rabs (dech - decay) <= kd * Rabs decay -> Rabs (alh - alpha) <= ka * Rabs alpha ->
  Rabs (F - S) <= ES -> 0 <= kd -> 0 <= ka ->
  exists G,
    is_derive (fun t => batch_cost sz b L m X g lam 0 n (updW W l j k t)) (W l j k) G /\
    Rabs (r (r (dech * W l j k) + r (alh * F)) - (W l j k - eta * G))
    <= v * (Rabs (decay * W l j k) + Rabs (alpha * S))
       + (1 + v) * (((1 + kd) * (1 + v) - 1) * Rabs (decay * W l j k)
                    + Rabs alpha * (((1 + ka) * (1 + v) - 1) * (Rabs S + ES) + ES)).
Proof.
  intros Hr Hv Hl Hj Hk Hn Hm Hd Hg S decay alpha Hdh Hah HF Hkd Hka.
  destruct (sgd_step_any_depth sz b L m X g dL eta lam 0 n W l j k Hl Hj Hk Hn Hm Hd
              (or_introl eq_refl) Hg) as [G [HG E]].
  exists G. split; [exact HG|]. fold S decay in E. rewrite <- E.
  replace (decay * (W l j k - eta * 0 / n / decay * sgn (W l j k)) + - eta / INR m * S)
    with (decay * W l j k + alpha * S) by (unfold alpha, Rdiv; ring).
  eapply sgd_step_fl_error; eassumption.
Qed.

(** ** [sp_max] and [spp_max] of src/bounds.c are the maxima over an interval *)

Lemma sigma_ge_half z : 0 <= z -> / 2 <= sigma z.
Proof.
  intros Hz. unfold sigma. assert (exp (- z) <= 1).
  { rewrite <- exp_0. destruct (Req_dec z 0); [subst; rewrite Ropp_0; lra|].
    left. apply exp_increasing. lra. }
  pose proof (exp_pos (- z)). apply Rinv_le_contravar; lra.
Qed.

Lemma sigma_neg z : sigma (- z) = 1 - sigma z.
Proof. rewrite one_minus_sigma. reflexivity. Qed.

Lemma sigma'_even z : sigma' (- z) = sigma' z.
Proof. unfold sigma'. rewrite sigma_neg. ring. Qed.

Lemma sigma'_0 : sigma' 0 = / 4.
Proof. unfold sigma', sigma. rewrite Ropp_0, exp_0. field. Qed.

Lemma sigma''_nonpos z : 0 <= z -> sigma'' z <= 0.
Proof.
  intros Hz. unfold sigma''. pose proof (sigma'_pos z). pose proof (sigma_ge_half z Hz).
  nra.
Qed.

Lemma sigma''_odd z : sigma'' (- z) = - sigma'' z.
Proof. unfold sigma''. rewrite sigma'_even, sigma_neg. ring. Qed.

Lemma abs_sigma''_even z : Rabs (sigma'' (- z)) = Rabs (sigma'' z).
Proof. rewrite sigma''_odd, Rabs_Ropp. reflexivity. Qed.

(** C's [spp_abs]: [s (1 - s) |1 - 2 s|] with [s = sigma z] is [|sigma''|]. *)
Lemma spp_abs_form z : Rabs (sigma'' z) = sigma z * (1 - sigma z) * Rabs (1 - 2 * sigma z).
Proof.
  unfold sigma''. rewrite Rabs_mult, (Rabs_pos_eq (sigma' z)) by (left; apply sigma'_pos).
  reflexivity.
Qed.

(** [sigma' = sigma (1 - sigma)] decreases on [[0, oo)] ([sigma'' <= 0] there), so
    [sigma' t <= sigma' s] whenever [|s| <= |t|]. *)
Lemma sigma'_antitone a b : 0 <= a <= b -> sigma' b <= sigma' a.
Proof.
  intros H. destruct (MVT_gen sigma' a b sigma'') as [c [Hc E]].
  - intros t _. apply sigma''_is_derivative.
  - intros t _. apply derivable_continuous_pt. exists (sigma'' t).
    apply is_derive_Reals, sigma''_is_derivative.
  - rewrite Rmin_left, Rmax_right in Hc by lra.
    pose proof (sigma''_nonpos c ltac:(lra)). nra.
Qed.

Lemma sigma'_abs z : sigma' z = sigma' (Rabs z).
Proof.
  unfold Rabs. destruct (Rcase_abs z); [rewrite sigma'_even|]; reflexivity.
Qed.

Lemma sigma'_abs_le s t : Rabs s <= Rabs t -> sigma' t <= sigma' s.
Proof.
  intros H. rewrite (sigma'_abs s), (sigma'_abs t). apply sigma'_antitone.
  split; [apply Rabs_pos|exact H].
Qed.

(** src/bounds.c [sp_max lo hi]: [1/4] if [0] lies in [[lo, hi]], else [sigma']
    at the end nearer to 0. *)
Definition sp_max (lo hi : R) : R :=
  match Rle_dec lo 0, Rle_dec 0 hi with
  | left _, left _ => / 4
  | _, _ => sigma' (if Rlt_dec (Rabs lo) (Rabs hi) then lo else hi)
  end.

(** [sp_max lo hi] bounds [sigma'] on [[lo, hi]] and is attained there: the
    maximum. *)
Theorem sp_max_is_max lo hi :
  lo <= hi ->
  (forall t, lo <= t <= hi -> sigma' t <= sp_max lo hi) /\
  (exists t, lo <= t <= hi /\ sigma' t = sp_max lo hi).
Proof.
  intros Hlh. unfold sp_max.
  destruct (Rle_dec lo 0) as [L0|L0]; destruct (Rle_dec 0 hi) as [H0|H0].
  2, 3, 4: set (c := if Rlt_dec (Rabs lo) (Rabs hi) then lo else hi);
    assert (Hc : lo <= c <= hi) by (unfold c; destruct (Rlt_dec _ _); lra);
    split; [|exists c; split; [exact Hc|reflexivity]];
    intros t Ht; apply sigma'_abs_le; unfold c;
    destruct (Rlt_dec _ _); unfold Rabs in *; repeat destruct Rcase_abs; lra.
  split.
  - intros t _. apply sigma'_le_quarter.
  - exists 0. split; [lra|apply sigma'_0].
Qed.

(** [sigma''' = sigma' (6 sigma^2 - 6 sigma + 1)]. *)
Definition sigma''' (z : R) : R := sigma' z * (6 * sigma z ^ 2 - 6 * sigma z + 1).

Theorem sigma'''_is_derivative z : is_derive sigma'' z (sigma''' z).
Proof.
  unfold sigma''', sigma'', sigma', sigma. pose proof (one_plus_exp_pos (- z)).
  auto_derive.
  - lra.
  - field. lra.
Qed.

(** [z* = ln (2 + sqrt 3)], where [sigma''' = 0]: [e^{-z*} = 2 - sqrt 3]. *)
Definition zstar : R := ln (2 + sqrt 3).

Lemma sqrt3_facts : 0 <= sqrt 3 /\ sqrt 3 * sqrt 3 = 3 /\ sqrt 3 < 2.
Proof.
  assert (A : 0 <= sqrt 3) by apply sqrt_pos.
  assert (B : sqrt 3 * sqrt 3 = 3) by (apply sqrt_sqrt; lra).
  split; [exact A|split; [exact B|nra]].
Qed.

Lemma zstar_pos : 0 < zstar.
Proof.
  unfold zstar. rewrite <- ln_1. destruct sqrt3_facts as [A _].
  apply ln_increasing; lra.
Qed.

Lemma exp_neg_zstar : exp (- zstar) = 2 - sqrt 3.
Proof.
  destruct sqrt3_facts as [A [B C]]. unfold zstar. rewrite exp_Ropp, exp_ln by lra.
  field_simplify_eq; [nra|lra].
Qed.

(** The sign of [sigma'''] on [[0, oo)]: [6 s^2 - 6 s + 1 = (e^2 - 4 e + 1)/(1 + e)^2]
    with [e = e^{-z}], and [e^2 - 4 e + 1 = (e - (2 - sqrt 3))(e - (2 + sqrt 3))]. *)
Lemma sigma'''_factor z :
  6 * sigma z ^ 2 - 6 * sigma z + 1
  = (exp (- z) - (2 - sqrt 3)) * (exp (- z) - (2 + sqrt 3)) / (1 + exp (- z)) ^ 2.
Proof.
  destruct sqrt3_facts as [A [B C]]. unfold sigma. pose proof (one_plus_exp_pos (- z)).
  field_simplify_eq; [|lra]. nra.
Qed.

Lemma sigma'''_sign z :
  (0 <= z <= zstar -> sigma''' z <= 0) /\ (zstar <= z -> 0 <= sigma''' z).
Proof.
  destruct sqrt3_facts as [A [B C]]. unfold sigma'''. rewrite sigma'''_factor.
  pose proof (sigma'_pos z) as P. pose proof (one_plus_exp_pos (- z)) as Q.
  assert (Z : exp (- z) <= 1 -> exp (- z) - (2 + sqrt 3) < 0) by lra.
  assert (D : 0 < (1 + exp (- z)) ^ 2) by (apply pow_lt; lra).
  split.
  - intros [H0 H1].
    assert (E1 : 2 - sqrt 3 <= exp (- z)).
    { rewrite <- exp_neg_zstar. destruct (Req_dec z zstar); [subst; lra|].
      left. apply exp_increasing. lra. }
    assert (E2 : exp (- z) <= 1).
    { rewrite <- exp_0. destruct (Req_dec z 0); [subst; rewrite Ropp_0; lra|].
      left. apply exp_increasing. lra. }
    assert ((exp (- z) - (2 - sqrt 3)) * (exp (- z) - (2 + sqrt 3)) <= 0) by nra.
    assert ((exp (- z) - (2 - sqrt 3)) * (exp (- z) - (2 + sqrt 3))
            / (1 + exp (- z)) ^ 2 <= 0).
    { unfold Rdiv. apply Rmult_le_0_r; [exact H|]. left. apply Rinv_0_lt_compat, D. }
    nra.
  - intros H1.
    assert (E1 : exp (- z) <= 2 - sqrt 3).
    { rewrite <- exp_neg_zstar. destruct (Req_dec z zstar); [subst; lra|].
      left. apply exp_increasing. lra. }
    assert (0 <= (exp (- z) - (2 - sqrt 3)) * (exp (- z) - (2 + sqrt 3))) by nra.
    assert (0 <= (exp (- z) - (2 - sqrt 3)) * (exp (- z) - (2 + sqrt 3))
            / (1 + exp (- z)) ^ 2).
    { unfold Rdiv. apply Rmult_le_pos; [exact H|]. left. apply Rinv_0_lt_compat, D. }
    nra.
Qed.

Lemma sigma''_mvt a b : exists c, Rmin a b <= c <= Rmax a b /\
  sigma'' b - sigma'' a = sigma''' c * (b - a).
Proof.
  apply (MVT_gen sigma'' a b sigma''').
  - intros t _. apply sigma'''_is_derivative.
  - intros t _. apply derivable_continuous_pt. exists (sigma''' t).
    apply is_derive_Reals, sigma'''_is_derivative.
Qed.

(** [|sigma''|] increases on [[0, z*]] and decreases on [[z*, oo)]. *)
Lemma abs_sigma''_up a b : 0 <= a <= b -> b <= zstar ->
  Rabs (sigma'' a) <= Rabs (sigma'' b).
Proof.
  intros H Hb. destruct (sigma''_mvt a b) as [c [Hc E]].
  rewrite Rmin_left, Rmax_right in Hc by lra.
  destruct (sigma'''_sign c) as [S _]. specialize (S ltac:(lra)).
  rewrite !Rabs_left1 by (apply sigma''_nonpos; lra). nra.
Qed.

Lemma abs_sigma''_down a b : zstar <= a <= b -> Rabs (sigma'' b) <= Rabs (sigma'' a).
Proof.
  intros H. pose proof zstar_pos. destruct (sigma''_mvt a b) as [c [Hc E]].
  rewrite Rmin_left, Rmax_right in Hc by lra.
  destruct (sigma'''_sign c) as [_ S]. specialize (S ltac:(lra)).
  rewrite !Rabs_left1 by (apply sigma''_nonpos; lra). nra.
Qed.

Lemma abs_sigma''_abs t : Rabs (sigma'' t) = Rabs (sigma'' (Rabs t)).
Proof.
  destruct (Rle_dec 0 t).
  - rewrite (Rabs_pos_eq t) by lra. reflexivity.
  - rewrite (Rabs_left t) by lra. rewrite abs_sigma''_even. reflexivity.
Qed.

(** [|sigma''|] at [z*] is the global maximum of [|sigma''|] (about [0.0962]). *)
Lemma abs_sigma''_le_zstar t : Rabs (sigma'' t) <= Rabs (sigma'' zstar).
Proof.
  pose proof zstar_pos. rewrite abs_sigma''_abs. pose proof (Rabs_pos t).
  destruct (Rle_dec (Rabs t) zstar).
  - apply abs_sigma''_up; lra.
  - apply abs_sigma''_down; lra.
Qed.

(** src/bounds.c [spp_max lo hi]: [|sigma''|] at [z*] if [z*] or [-z*] lies in
    [[lo, hi]], else the larger of [|sigma''|] at the two ends ([spp_abs]). *)
Definition spp_max (lo hi : R) : R :=
  match Rle_dec lo zstar, Rle_dec zstar hi, Rle_dec lo (- zstar), Rle_dec (- zstar) hi with
  | left _, left _, _, _ => Rabs (sigma'' zstar)
  | _, _, left _, left _ => Rabs (sigma'' zstar)
  | _, _, _, _ => Rmax (Rabs (sigma'' lo)) (Rabs (sigma'' hi))
  end.

(** Off [z*] and [-z*], [|sigma''|] on [[lo, hi]] is at most its larger end value. *)
Lemma spp_max_ends lo hi t :
  lo <= t <= hi -> ~ (lo <= zstar <= hi) -> ~ (lo <= - zstar <= hi) ->
  Rabs (sigma'' t) <= Rmax (Rabs (sigma'' lo)) (Rabs (sigma'' hi)).
Proof.
  intros Ht NA NB. pose proof zstar_pos.
  destruct (Rlt_dec zstar lo).
  - eapply Rle_trans; [|apply Rmax_l]. apply abs_sigma''_down; lra.
  - destruct (Rlt_dec hi (- zstar)).
    + eapply Rle_trans; [|apply Rmax_r].
      rewrite <- (abs_sigma''_even t), <- (abs_sigma''_even hi). apply abs_sigma''_down; lra.
    + assert (hi < zstar) by (destruct (Rle_dec zstar hi); [exfalso; apply NA; lra|lra]).
      assert (- zstar < lo) by (destruct (Rle_dec lo (- zstar)); [exfalso; apply NB; lra|lra]).
      destruct (Rle_dec 0 t).
      * eapply Rle_trans; [|apply Rmax_r]. apply abs_sigma''_up; lra.
      * eapply Rle_trans; [|apply Rmax_l].
        rewrite <- (abs_sigma''_even t), <- (abs_sigma''_even lo). apply abs_sigma''_up; lra.
Qed.

(** [spp_max lo hi] bounds [|sigma''|] on [[lo, hi]] and is attained there:
    the maximum, so the [M] of [sigma'_lipschitz_on] and [sigma'_from_s_error]
    that src/bounds.c [sig_bound] uses is the smallest such bound. *)
Theorem spp_max_is_max lo hi :
  lo <= hi ->
  (forall t, lo <= t <= hi -> Rabs (sigma'' t) <= spp_max lo hi) /\
  (exists t, lo <= t <= hi /\ Rabs (sigma'' t) = spp_max lo hi).
Proof.
  intros Hlh. pose proof zstar_pos as Z. unfold spp_max.
  destruct (Rle_dec lo zstar) as [A1|A1], (Rle_dec zstar hi) as [A2|A2].
  { split; [intros t _; apply abs_sigma''_le_zstar|exists zstar; split; [lra|reflexivity]]. }
  all: destruct (Rle_dec lo (- zstar)) as [B1|B1], (Rle_dec (- zstar) hi) as [B2|B2];
    cbv iota.
  all: try (split; [intros t _; apply abs_sigma''_le_zstar|];
            exists (- zstar); split; [lra|apply abs_sigma''_even]).
  all: split; [intros t Ht; apply spp_max_ends; [exact Ht|intros [? ?]; lra|intros [? ?]; lra]|].
  all: unfold Rmax; destruct (Rle_dec _ _);
    [exists hi; split; [lra|reflexivity]|exists lo; split; [lra|reflexivity]].
Qed.
