(** * FloatPass: the kernel bounds composed into one layer's forward value
    and into the BP1/BP2 entries

    These are the error models that src/bounds.c evaluates (its [z_bound],
    [sig_bound] and the delta bounds), stated over the reals for computed
    values [h] next to exact ones:
    - [layer_z_error]: [z = sum_k W_k a_k + b] evaluated as a recursive sum
      of [n + 1] rounded terms from stored [Wh], [ah], [bh] is within
      [gamma_{n+1} (sum |Wh_k ah_k| + |bh|) + sum |Wh_k - W_k| |ah_k|
       + sum |W_k| |ah_k - a_k| + |bh - b|] (from [dot_gamma_n]);
    - [sigma_lipschitz]: [|sigma a - sigma b| <= |a - b| / 4];
    - [layer_forward_error]: [gp_sigmoid] of a computed [zh] is within
      [6u sigma(zh) + |zh - z| / 4] of [sigma(z)] (from [sigmoid_fl_error]);
    - [bp2_entry_error]: [delta_j = (sum_i W_ij delta_i) sigma'_j] computed
      as one rounded product of a recursive sum and a computed [sigma'] is
      within [v |computed| + (gamma_n sum |W_ij dh_i| + sum |W_ij| |dh_i - d_i|)
      |sh| + |sum_i W_ij d_i| |sh - s|];
    - [bp1_xent_entry_error]: [delta = a - y] computed from [ah] is within
      [v |ah - y| + |ah - a|].
    [r] is any rounding with the standard model [|r x - x| <= v |x|]
    (binary64 without underflow: [binary64_no_underflow_model]).
    C: [gp_bounds_certify]'s helpers (src/bounds.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Flocq Require Import Core.
From Gradproof Require Import Common Sigmoid FloatBounds.
Open Scope R_scope.

Lemma abs_triang4 p q s w : Rabs (p + q + s + w) <= Rabs p + Rabs q + Rabs s + Rabs w.
Proof.
  pose proof (Rabs_triang (p + q + s) w). pose proof (Rabs_triang (p + q) s).
  pose proof (Rabs_triang p q). lra.
Qed.

Section Pass.

Variables (r : R -> R) (v : R).
Hypothesis r_model : forall x, Rabs (r x - x) <= v * Rabs x.
Hypothesis r_idem : forall x, r (r x) = r x.
Hypothesis v_pos : 0 <= v.

(** The bias as the [(n+1)]-th term: [ext n w c k] is [w k] for [k < n], [c] at [n]. *)
Definition ext (n : nat) (w : nat -> R) (c : R) (k : nat) : R := if k <? n then w k else c.

Lemma fsum_ext_last n (f : R -> R -> R) w c w' c' :
  fsum (S n) (fun k => f (ext n w c k) (ext n w' c' k))
  = fsum n (fun k => f (w k) (w' k)) + f c c'.
Proof.
  change (fsum (S n) ?F) with (fsum n F + F n). cbv beta. f_equal.
  - apply fsum_ext. intros k Hk. unfold ext. rewrite (proj2 (Nat.ltb_lt k n) Hk).
    reflexivity.
  - unfold ext. rewrite Nat.ltb_irrefl. reflexivity.
Qed.

(** One layer's pre-activation. *)
Theorem layer_z_error n (Wh ah W a : nat -> R) (bh b : R) :
  INR (S n) * v < 1 ->
  Rabs (fdot r (S n) (ext n Wh bh) (ext n ah 1) - (fsum n (fun k => W k * a k) + b))
  <= INR (S n) * v / (1 - INR (S n) * v)
       * (fsum n (fun k => Rabs (Wh k * ah k)) + Rabs bh)
     + fsum n (fun k => Rabs (Wh k - W k) * Rabs (ah k))
     + fsum n (fun k => Rabs (W k) * Rabs (ah k - a k)) + Rabs (bh - b).
Proof.
  intros Hn.
  pose proof (dot_gamma_n r v r_model r_idem v_pos (S n) (ext n Wh bh) (ext n ah 1) Hn) as D.
  rewrite (fsum_ext_last n (fun p q => p * q)) in D.
  rewrite (fsum_ext_last n (fun p q => Rabs (p * q))) in D.
  rewrite Rmult_1_r in D.
  assert (E : fsum n (fun k => (Wh k - W k) * ah k) + fsum n (fun k => W k * (ah k - a k))
              = fsum n (fun k => Wh k * ah k) - fsum n (fun k => W k * a k)).
  { rewrite <- fsum_plus, <- fsum_minus. apply fsum_ext. intros; ring. }
  assert (A1 : Rabs (fsum n (fun k => (Wh k - W k) * ah k))
               <= fsum n (fun k => Rabs (Wh k - W k) * Rabs (ah k))).
  { eapply Rle_trans; [apply fsum_abs|]. apply fsum_le. intros. rewrite Rabs_mult. lra. }
  assert (A2 : Rabs (fsum n (fun k => W k * (ah k - a k)))
               <= fsum n (fun k => Rabs (W k) * Rabs (ah k - a k))).
  { eapply Rle_trans; [apply fsum_abs|]. apply fsum_le. intros. rewrite Rabs_mult. lra. }
  set (F := fdot r (S n) (ext n Wh bh) (ext n ah 1)) in *.
  replace (F - (fsum n (fun k => W k * a k) + b))
    with ((F - (fsum n (fun k => Wh k * ah k) + bh)) + fsum n (fun k => (Wh k - W k) * ah k)
          + fsum n (fun k => W k * (ah k - a k)) + (bh - b)) by lra.
  eapply Rle_trans; [apply abs_triang4|]. lra.
Qed.

(** BP2's entry: one rounded product of a recursive sum and a computed [sigma']. *)
Theorem bp2_entry_error n (w dh d : nat -> R) (sh s : R) :
  INR n * v < 1 ->
  Rabs (r (fdot r n w dh * sh) - fsum n (fun i => w i * d i) * s)
  <= v * Rabs (fdot r n w dh * sh)
     + (INR n * v / (1 - INR n * v) * fsum n (fun i => Rabs (w i * dh i))
        + fsum n (fun i => Rabs (w i) * Rabs (dh i - d i))) * Rabs sh
     + Rabs (fsum n (fun i => w i * d i)) * Rabs (sh - s).
Proof.
  intros Hn.
  pose proof (dot_gamma_n r v r_model r_idem v_pos n w dh Hn) as D.
  set (Ph := fdot r n w dh) in *. set (Pt := fsum n (fun i => w i * dh i)) in *.
  set (P := fsum n (fun i => w i * d i)).
  assert (E : Pt - P = fsum n (fun i => w i * (dh i - d i))).
  { unfold Pt, P. rewrite <- fsum_minus. apply fsum_ext. intros; ring. }
  assert (A : Rabs (Pt - P) <= fsum n (fun i => Rabs (w i) * Rabs (dh i - d i))).
  { rewrite E. eapply Rle_trans; [apply fsum_abs|]. apply fsum_le. intros.
    rewrite Rabs_mult. lra. }
  assert (B : Rabs (Ph - P) <= INR n * v / (1 - INR n * v) * fsum n (fun i => Rabs (w i * dh i))
                               + fsum n (fun i => Rabs (w i) * Rabs (dh i - d i))).
  { replace (Ph - P) with ((Ph - Pt) + (Pt - P)) by ring.
    eapply Rle_trans; [apply Rabs_triang|]. lra. }
  pose proof (r_model (Ph * sh)) as M.
  replace (r (Ph * sh) - P * s)
    with ((r (Ph * sh) - Ph * sh) + (Ph - P) * sh + P * (sh - s) + 0) by ring.
  eapply Rle_trans; [apply abs_triang4|]. rewrite Rabs_R0, !Rabs_mult.
  assert (B' : Rabs (Ph - P) * Rabs sh
               <= (INR n * v / (1 - INR n * v) * fsum n (fun i => Rabs (w i * dh i))
                   + fsum n (fun i => Rabs (w i) * Rabs (dh i - d i))) * Rabs sh)
    by (apply Rmult_le_compat_r; [apply Rabs_pos|exact B]).
  rewrite Rabs_mult in M. lra.
Qed.

(** BP1's entry for cross-entropy with a sigmoid output (and log-likelihood
    with softmax): [delta = a - y], one rounded subtraction. *)
Theorem bp1_xent_entry_error (ah a y : R) :
  Rabs (r (ah - y) - (a - y)) <= v * Rabs (ah - y) + Rabs (ah - a).
Proof.
  pose proof (r_model (ah - y)) as M.
  replace (r (ah - y) - (a - y)) with ((r (ah - y) - (ah - y)) + (ah - a)) by ring.
  eapply Rle_trans; [apply Rabs_triang|]. lra.
Qed.

End Pass.

(** [sigma] is [1/4]-Lipschitz ([sigma' = sigma (1 - sigma) <= 1/4]). *)
Lemma sigma'_le_quarter z : sigma' z <= / 4.
Proof.
  unfold sigma'. pose proof (sigma_pos z). pose proof (sigma_lt_1 z).
  assert (0 <= (sigma z - / 2) ^ 2) by (apply pow2_ge_0). nra.
Qed.

Theorem sigma_lipschitz a b : Rabs (sigma a - sigma b) <= / 4 * Rabs (a - b).
Proof.
  destruct (MVT_gen sigma b a sigma') as [c [_ Hc]].
  - intros t _. apply sigma'_is_derivative.
  - intros t _. apply derivable_continuous_pt. exists (sigma' t).
    apply is_derive_Reals, sigma'_is_derivative.
  - rewrite Hc, Rabs_mult. apply Rmult_le_compat_r; [apply Rabs_pos|].
    rewrite Rabs_pos_eq by (left; apply sigma'_pos). apply sigma'_le_quarter.
Qed.

(** One layer's activation: [gp_sigmoid] of the computed pre-activation. *)
Theorem layer_forward_error z zh E :
  exp_within_ulp (- Rabs zh) E ->
  (zh < 0 -> bpow radix2 (-1022) <= E / fl (1 + E)) ->
  Rabs (sigmoid_fl zh E - sigma z) <= 6 * u * sigma zh + / 4 * Rabs (zh - z).
Proof.
  intros HE Hn. pose proof (sigmoid_fl_error zh E HE Hn) as S.
  pose proof (sigma_lipschitz zh z) as Lp.
  replace (sigmoid_fl zh E - sigma z) with ((sigmoid_fl zh E - sigma zh) + (sigma zh - sigma z))
    by ring.
  eapply Rle_trans; [apply Rabs_triang|]. lra.
Qed.
