(** * FloatBounds: rounding-error bounds of the kernels in binary64

    [fl] is IEEE 754 binary64 round-to-nearest-even (Flocq: precision 53,
    smallest exponent -1074, so subnormals included; overflow is excluded by
    the hypotheses).  [u = 2^-53] is the unit roundoff.  Results of [exp]
    come from libm: each theorem takes as a HYPOTHESIS that the value [E]
    returned for [exp t] has relative error at most [2^-52] (one ulp), never
    an axiom.  Each bound is a relative error:
    - [sigmoid_fl_error]: [gp_sigmoid] (both branches) within [6u];
    - [sigmoid_prime_fl_error]: [gp_sigmoid_prime = gp_sigmoid(z) gp_sigmoid(-z)]
      within [14u];
    - [softplus_fl_error]: [gp_softplus] within [9u] (libm's [log1p] within
      one ulp too, hypothesis);
    - [xent_term_fl_error]: one output's cross-entropy from [z],
      [y sp(-z) + (1 - y) sp(z)] for [0 <= y <= 1], within [13u];
    - [dot_gamma_n]: a sum of [n] rounded products (a layer's
      [sum_k W_jk a_k]) within [gamma_n = n u / (1 - n u)] of
      [sum_k |W_jk a_k|] (for a rounding with the standard model
      [|fl x - x| <= u |x|]: binary64 without underflow,
      [binary64_no_underflow_model]).
    Gappa (with Flocq) closes the final real-interval steps.
    C: [gp_sigmoid], [gp_sigmoid_prime] (src/activation.c), the layer sums
    of src/backprop.c; the checker's tolerances (src/gradcheck.c). *)

From Coq Require Import Reals Lra Lia.
From Flocq Require Import Core Relative.
From Gappa Require Import Gappa_tactic.
From Gradproof Require Import Common Sigmoid CrossEntropy Stable.
Open Scope R_scope.

Definition fl (x : R) : R := round radix2 (FLT_exp (-1074) 53) ZnearestE x.

(** [u = 2^-53]. *)
Definition u : R := 1 / 9007199254740992.

Lemma bpow_m1022_le_half : bpow radix2 (-1022) <= / 4.
Proof.
  replace (/ 4) with (bpow radix2 (-2)) by (simpl; reflexivity).
  apply bpow_le. lia.
Qed.

(** The standard model for normal results: [fl x = x (1 + d)], [|d| <= u]. *)
Lemma fl_rel x :
  bpow radix2 (-1022) <= Rabs x ->
  exists d, - u <= d <= u /\ fl x = x * (1 + d).
Proof.
  intros Hx.
  destruct (relative_error_N_FLT_ex radix2 (-1074) 53 eq_refl (fun t => negb (Z.even t)) x Hx)
    as [d [Hd E]].
  exists d. split; [|exact E].
  assert (B : / 2 * / IZR 4503599627370496 = u) by (unfold u; field).
  simpl in Hd. change (Z.pow_pos 2 52) with 4503599627370496%Z in Hd.
  rewrite B in Hd. apply Rabs_le_inv in Hd. exact Hd.
Qed.

Lemma fl_rel_ge x c :
  bpow radix2 (-1022) <= c -> c <= x ->
  exists d, - u <= d <= u /\ fl x = x * (1 + d).
Proof.
  intros Hc Hx. apply fl_rel. rewrite Rabs_pos_eq; [lra|].
  pose proof (bpow_gt_0 radix2 (-1022)). lra.
Qed.

(** ** gp_sigmoid *)

(** The code on a given libm result [E] for [exp(-|z|)]:
    [z >= 0]: [1 / (1 + E)]; [z < 0]: [E / (1 + E)]. *)
Definition sigmoid_fl (z E : R) : R :=
  if Rle_dec 0 z then fl (1 / fl (1 + E)) else fl (E / fl (1 + E)).

(** libm's [exp]: relative error at most [2^-52] (hypothesis). *)
Definition exp_within_ulp (t E : R) : Prop :=
  - (2 * u) * exp t <= E - exp t <= 2 * u * exp t.

Lemma sigma_abs z : sigma z = (if Rle_dec 0 z then 1 else exp (- Rabs z)) / (1 + exp (- Rabs z)).
Proof.
  unfold sigma. destruct (Rle_dec 0 z).
  - rewrite Rabs_pos_eq by lra. unfold Rdiv. ring.
  - rewrite Rabs_left by lra. rewrite Ropp_involutive, exp_Ropp.
    pose proof (exp_pos z). field. split; lra.
Qed.

(** [1 + E = (1 + e)(1 + theta)] with [|theta| <= u] when [0 < e <= 1]. *)
Lemma one_plus_E e E :
  0 < e <= 1 -> - (2 * u) * e <= E - e <= 2 * u * e ->
  exists th, - u <= th <= u /\ 1 + E = (1 + e) * (1 + th).
Proof.
  intros He HE. exists ((E - e) / (1 + e)). split.
  - unfold u in *. split.
    + apply (Rmult_le_reg_r (1 + e)); [lra|].
      unfold Rdiv. rewrite Rmult_assoc, Rinv_l by lra. nra.
    + apply (Rmult_le_reg_r (1 + e)); [lra|].
      unfold Rdiv. rewrite Rmult_assoc, Rinv_l by lra. nra.
  - field. lra.
Qed.

Theorem sigmoid_fl_error z E :
  exp_within_ulp (- Rabs z) E ->
  (z < 0 -> bpow radix2 (-1022) <= E / fl (1 + E)) ->
  Rabs (sigmoid_fl z E - sigma z) <= 6 * u * sigma z.
Proof.
  intros HE Hn. unfold exp_within_ulp in HE.
  set (e := exp (- Rabs z)) in *.
  assert (He : 0 < e <= 1).
  { unfold e. split; [apply exp_pos|]. rewrite <- exp_0.
    destruct (Req_dec (Rabs z) 0) as [Z|Z].
    - rewrite Z, Ropp_0. lra.
    - left. apply exp_increasing. pose proof (Rabs_pos z). lra. }
  assert (Hu : u = 1 / 9007199254740992) by reflexivity.
  destruct (one_plus_E e E He HE) as [th [Hth E1]].
  assert (HEpos : 0 < E) by (unfold u in HE; nra).
  destruct (fl_rel_ge (1 + E) 1) as [d1 [Hd1 D1]];
    [pose proof bpow_m1022_le_half; lra|lra|].
  set (D := fl (1 + E)) in *.
  assert (HD : / 2 <= D <= 3).
  { rewrite D1. unfold u in *. split; nra. }
  rewrite sigma_abs. fold e. unfold sigmoid_fl. fold D.
  assert (Hs : 0 < 1 + e) by lra.
  destruct (Rle_dec 0 z) as [P|P].
  - destruct (fl_rel_ge (1 / D) (/ 3)) as [d2 [Hd2 D2]].
    + pose proof bpow_m1022_le_half. lra.
    + unfold Rdiv. rewrite Rmult_1_l. apply Rinv_le_contravar; lra.
    + rewrite D2, D1, E1.
      replace (1 / ((1 + e) * (1 + th) * (1 + d1)) * (1 + d2) - 1 / (1 + e))
        with (1 / (1 + e) * ((1 + d2) / ((1 + th) * (1 + d1)) - 1))
        by (field; unfold u in *; repeat split; lra).
      rewrite Rabs_mult, (Rabs_pos_eq (1 / (1 + e)))
        by (unfold Rdiv; rewrite Rmult_1_l; left; apply Rinv_0_lt_compat; lra).
      rewrite Rmult_comm. apply Rmult_le_compat_r;
        [unfold Rdiv; rewrite Rmult_1_l; left; apply Rinv_0_lt_compat; lra|].
      apply Rabs_le. rewrite Hu in *. gappa.
  - destruct (fl_rel (E / D)) as [d2 [Hd2 D2]].
    + rewrite Rabs_pos_eq; [apply Hn; lra|].
      unfold Rdiv. left. apply Rmult_lt_0_compat; [lra|apply Rinv_0_lt_compat; lra].
    + set (ep := (E - e) / e).
      assert (Hep : - (2 * u) <= ep <= 2 * u).
      { unfold ep. split.
        - apply (Rmult_le_reg_r e); [lra|]. unfold Rdiv.
          rewrite Rmult_assoc, Rinv_l by lra. lra.
        - apply (Rmult_le_reg_r e); [lra|]. unfold Rdiv.
          rewrite Rmult_assoc, Rinv_l by lra. lra. }
      assert (EE : E = e * (1 + ep)) by (unfold ep; field; lra).
      rewrite D2. rewrite D1. rewrite E1. rewrite EE at 1.
      replace (e * (1 + ep) / ((1 + e) * (1 + th) * (1 + d1)) * (1 + d2) - e / (1 + e))
        with (e / (1 + e) * ((1 + ep) * (1 + d2) / ((1 + th) * (1 + d1)) - 1))
        by (field; unfold u in *; repeat split; lra).
      assert (Q : 0 < e / (1 + e)) by (apply Rdiv_lt_0_compat; lra).
      rewrite Rabs_mult, (Rabs_pos_eq (e / (1 + e))) by lra.
      rewrite Rmult_comm. apply Rmult_le_compat_r; [lra|].
      apply Rabs_le. rewrite Hu in *. gappa.
Qed.

(** ** gp_sigmoid_prime: [gp_sigmoid(z) * gp_sigmoid(-z)], one rounding more *)

Theorem sigmoid_prime_fl_error z E E' :
  exp_within_ulp (- Rabs z) E -> exp_within_ulp (- Rabs (- z)) E' ->
  (z < 0 -> bpow radix2 (-1022) <= E / fl (1 + E)) ->
  (- z < 0 -> bpow radix2 (-1022) <= E' / fl (1 + E')) ->
  bpow radix2 (-1022) <= Rabs (sigmoid_fl z E * sigmoid_fl (- z) E') ->
  Rabs (fl (sigmoid_fl z E * sigmoid_fl (- z) E') - sigma' z) <= 14 * u * sigma' z.
Proof.
  intros H1 H2 H3 H4 Hn.
  pose proof (sigmoid_fl_error z E H1 H3) as A1.
  pose proof (sigmoid_fl_error (- z) E' H2 H4) as A2.
  destruct (fl_rel _ Hn) as [d [Hd D]]. rewrite D.
  replace (sigma' z) with (sigma z * sigma (- z))
    by (unfold sigma'; rewrite one_minus_sigma; reflexivity).
  set (s1 := sigma z) in *. set (s2 := sigma (- z)) in *.
  set (a1 := sigmoid_fl z E) in *. set (a2 := sigmoid_fl (- z) E') in *.
  assert (P1 : 0 < s1) by apply sigma_pos.
  assert (P2 : 0 < s2) by apply sigma_pos.
  set (r1 := (a1 - s1) / s1). set (r2 := (a2 - s2) / s2).
  assert (R1 : - (6 * u) <= r1 <= 6 * u).
  { apply Rabs_le_inv in A1. unfold r1. split;
      (apply (Rmult_le_reg_r s1); [lra|]; unfold Rdiv;
       rewrite Rmult_assoc, Rinv_l by lra; lra). }
  assert (R2 : - (6 * u) <= r2 <= 6 * u).
  { apply Rabs_le_inv in A2. unfold r2. split;
      (apply (Rmult_le_reg_r s2); [lra|]; unfold Rdiv;
       rewrite Rmult_assoc, Rinv_l by lra; lra). }
  replace (a1 * a2 * (1 + d) - s1 * s2)
    with (s1 * s2 * ((1 + r1) * (1 + r2) * (1 + d) - 1))
    by (unfold r1, r2; field; lra).
  rewrite Rabs_mult, (Rabs_pos_eq (s1 * s2)) by nra.
  rewrite Rmult_comm. apply Rmult_le_compat_r; [nra|].
  apply Rabs_le. unfold u in *. gappa.
Qed.

(** ** Layer sums: the gamma_n bound *)

Section Dot.

(** Any rounding with the standard model [|r x - x| <= v |x|] that leaves
    rounded values alone ([r (r x) = r x]). *)
Variables (r : R -> R) (v : R).
Hypothesis r_model : forall x, Rabs (r x - x) <= v * Rabs x.
Hypothesis r_idem : forall x, r (r x) = r x.
Hypothesis v_pos : 0 <= v.

(** [s := 0; for k: s := r(s + r(x_k y_k))], as in a layer's inner loop. *)
Fixpoint fdot (n : nat) (x y : nat -> R) : R :=
  match n with
  | O => 0
  | S m => r (fdot m x y + r (x m * y m))
  end.

Lemma pow_ge_1 n : 1 <= (1 + v) ^ n.
Proof. induction n as [|n IH]; simpl; [lra|]. nra. Qed.

Lemma pow_mono n : (1 <= n)%nat -> (1 + v) ^ 2 - 1 <= (1 + v) ^ (S n) - 1.
Proof.
  intros Hn. assert (forall k, (1 + v) ^ 2 <= (1 + v) ^ (2 + k)).
  { induction k as [|k IH]; [rewrite Nat.add_0_r; lra|].
    replace (2 + S k)%nat with (S (2 + k)) by lia.
    change ((1 + v) ^ S (2 + k)) with ((1 + v) * (1 + v) ^ (2 + k)).
    pose proof (pow_ge_1 (2 + k)). pose proof v_pos. nra. }
  replace (S n) with (2 + (n - 1))%nat by lia. specialize (H (n - 1)%nat). lra.
Qed.

(** [|fdot - dot| <= ((1 + v)^n - 1) sum |x_k y_k|]. *)
Theorem dot_error_pow n x y :
  Rabs (fdot n x y - fsum n (fun k => x k * y k))
  <= ((1 + v) ^ n - 1) * fsum n (fun k => Rabs (x k * y k)).
Proof.
  induction n as [|n IH]; simpl fdot; simpl fsum.
  - rewrite Rminus_0_r, Rabs_R0. simpl. lra.
  - set (Sa := fsum n (fun k => Rabs (x k * y k))).
    set (s := fsum n (fun k => x k * y k)).
    set (sh := fdot n x y). set (p := x n * y n).
    assert (HS : Rabs s <= Sa) by apply fsum_abs.
    pose proof (r_model p) as Mp. pose proof (r_model (sh + r p)) as Ms.
    pose proof (pow_ge_1 n) as G.
    destruct n as [|m].
    + unfold sh. simpl fdot. rewrite Rplus_0_l, r_idem.
      unfold s, Sa. simpl fsum. rewrite !Rplus_0_l. simpl. lra.
    + change (fdot (S m) x y) with sh in IH.
      change (fsum (S m) (fun k => x k * y k)) with s in IH.
      change (fsum (S m) (fun k => Rabs (x k * y k))) with Sa in IH.
      pose proof (pow_mono (S m) ltac:(lia)) as Pm.
      replace ((1 + v) ^ S (S m)) with ((1 + v) * (1 + v) ^ S m) by reflexivity.
      assert (Hsh : Rabs sh <= Sa + ((1 + v) ^ S m - 1) * Sa).
      { replace sh with (s + (sh - s)) by ring.
        eapply Rle_trans; [apply Rabs_triang|]. lra. }
      assert (Hrp : Rabs (r p) <= (1 + v) * Rabs p).
      { replace (r p) with (p + (r p - p)) by ring.
        eapply Rle_trans; [apply Rabs_triang|]. lra. }
      replace (r (sh + r p) - (s + p))
        with ((r (sh + r p) - (sh + r p)) + (sh - s) + (r p - p)) by ring.
      eapply Rle_trans; [apply Rabs_triang|].
      eapply Rle_trans; [apply Rplus_le_compat_r, Rabs_triang|].
      assert (Hsum : Rabs (sh + r p) <= Rabs sh + Rabs (r p)) by apply Rabs_triang.
      change ((1 + v) ^ S (S m)) with ((1 + v) * (1 + v) ^ (S m)) in Pm.
      replace ((1 + v) ^ 2) with ((1 + v) * (1 + v)) in Pm by ring.
      set (P := (1 + v) ^ S m) in *.
      assert (0 <= Sa) by (eapply Rle_trans; [apply Rabs_pos|exact HS]).
      assert (A1 : v * Rabs (sh + r p) <= v * (P * Sa + (1 + v) * Rabs p))
        by (apply Rmult_le_compat_l; [exact v_pos|lra]).
      assert (A2 : (2 * v + v * v) * Rabs p <= ((1 + v) * P - 1) * Rabs p)
        by (apply Rmult_le_compat_r; [apply Rabs_pos|lra]).
      lra.
Qed.

(** [(1 + v)^n - 1 <= gamma_n = n v / (1 - n v)] when [n v < 1]. *)
Lemma pow_le_gamma n :
  INR n * v < 1 -> (1 + v) ^ n - 1 <= INR n * v / (1 - INR n * v).
Proof.
  intros Hn. assert (K : (1 + v) ^ n * (1 - INR n * v) <= 1).
  { clear Hn. induction n as [|n IH]; [simpl; lra|].
    rewrite S_INR. simpl pow.
    assert (0 <= INR n) by apply pos_INR.
    pose proof (pow_ge_1 n).
    nra. }
  apply (Rmult_le_reg_r (1 - INR n * v)); [lra|].
  unfold Rdiv. rewrite Rmult_assoc, Rinv_l by lra. nra.
Qed.

Theorem dot_gamma_n n x y :
  INR n * v < 1 ->
  Rabs (fdot n x y - fsum n (fun k => x k * y k))
  <= INR n * v / (1 - INR n * v) * fsum n (fun k => Rabs (x k * y k)).
Proof.
  intros Hn. eapply Rle_trans; [apply dot_error_pow|].
  apply Rmult_le_compat_r; [|apply pow_le_gamma, Hn].
  apply fsum_nonneg. intros. apply Rabs_pos.
Qed.

End Dot.

(** binary64 significands with an unbounded exponent (no underflow, no
    overflow) satisfy the model with [v = u]. *)
Theorem binary64_no_underflow_model :
  let r := round radix2 (FLX_exp 53) ZnearestE in
  (forall x, Rabs (r x - x) <= u * Rabs x) /\ (forall x, r (r x) = r x).
Proof.
  intros r. split.
  - intros x. unfold r.
    pose proof (relative_error_N_FLX radix2 53 eq_refl (fun t => negb (Z.even t)) x) as H.
    replace u with (/ 2 * bpow radix2 (- 53 + 1)) by (unfold u; simpl; change (Z.pow_pos 2 52) with 4503599627370496%Z; field).
    exact H.
  - intros x. unfold r.
    assert (Hp : Prec_gt_0 53) by reflexivity.
    apply round_generic; [now apply valid_rnd_N|].
    apply generic_format_round; [now apply FLX_exp_valid|now apply valid_rnd_N].
Qed.

(** ** gp_softplus: [max(z, 0) + log1p(exp(-|z|))] *)

(** libm's [log1p]: relative error at most [2^-52] (hypothesis). *)
Definition log1p_within_ulp (t L : R) : Prop :=
  - (2 * u) * ln (1 + t) <= L - ln (1 + t) <= 2 * u * ln (1 + t).

Lemma ln_quot p q : 0 < p -> 0 < q -> ln (p / q) = ln p - ln q.
Proof.
  intros Hp Hq. unfold Rdiv. rewrite ln_mult, ln_Rinv; [ring|lra|lra|].
  apply Rinv_0_lt_compat, Hq.
Qed.

Lemma ln_lipschitz a b : 1 <= a -> 1 <= b -> Rabs (ln a - ln b) <= Rabs (a - b).
Proof.
  intros Ha Hb.
  assert (K : forall p q, 1 <= p -> 1 <= q -> q <= p -> 0 <= ln p - ln q <= p - q).
  { intros p q Hp Hq Hqp. rewrite <- ln_quot by lra. split.
    - rewrite <- ln_1. destruct (Req_dec q p) as [->|N].
      + replace (p / p) with 1 by (field; lra). lra.
      + left. apply ln_increasing; [lra|].
        apply (Rmult_lt_reg_r q); [lra|]. unfold Rdiv.
        rewrite Rmult_assoc, Rinv_l by lra. lra.
    - pose proof (ln_le_sub1 (p / q) ltac:(apply Rdiv_lt_0_compat; lra)).
      assert (p / q - 1 <= p - q).
      { replace (p / q - 1) with ((p - q) / q) by (field; lra).
        apply (Rmult_le_reg_r q); [lra|]. unfold Rdiv.
        rewrite Rmult_assoc, Rinv_l by lra. nra. }
      lra. }
  destruct (Rle_dec b a).
  - destruct (K a b Ha Hb r) as [K1 K2].
    rewrite !Rabs_pos_eq by lra. lra.
  - destruct (K b a Hb Ha ltac:(lra)) as [K1 K2].
    rewrite (Rabs_left1 (ln a - ln b)) by lra.
    rewrite (Rabs_left1 (a - b)) by lra. lra.
Qed.

Lemma ln1p_lower x : 0 <= x -> x / (1 + x) <= ln (1 + x).
Proof.
  intros Hx. pose proof (ln_le_sub1 (/ (1 + x)) ltac:(apply Rinv_0_lt_compat; lra)).
  rewrite ln_Rinv in H by lra.
  replace (x / (1 + x)) with (- (/ (1 + x) - 1)) by (field; lra). lra.
Qed.

Lemma exp_neg_abs_bounds z : 0 < exp (- Rabs z) <= 1.
Proof.
  split; [apply exp_pos|]. rewrite <- exp_0.
  destruct (Req_dec (Rabs z) 0) as [Z|Z].
  - rewrite Z, Ropp_0. lra.
  - left. apply exp_increasing. pose proof (Rabs_pos z). lra.
Qed.

Definition softplus_fl (z Lg : R) : R := fl ((if Rlt_dec 0 z then z else 0) + Lg).

Theorem softplus_fl_error z E Lg :
  exp_within_ulp (- Rabs z) E -> log1p_within_ulp E Lg ->
  generic_format radix2 (FLT_exp (-1074) 53) Lg ->
  Rabs (softplus_fl z Lg - softplus z) <= 9 * u * softplus z.
Proof.
  intros HE HL HF. unfold exp_within_ulp, log1p_within_ulp in *.
  pose proof (exp_neg_abs_bounds z) as He.
  set (e := exp (- Rabs z)) in *.
  assert (Hu : 0 < u < / 1000) by (unfold u; lra).
  assert (HE0 : 0 <= E) by nra.
  set (L0 := ln (1 + e)). set (LE := ln (1 + E)) in *.
  assert (HL0 : e / 2 <= L0).
  { eapply Rle_trans; [|apply ln1p_lower; lra]. unfold Rdiv.
    apply Rmult_le_compat_l; [lra|apply Rinv_le_contravar; lra]. }
  assert (H1 : Rabs (LE - L0) <= 2 * u * e).
  { eapply Rle_trans; [apply ln_lipschitz; lra|].
    apply Rabs_le. lra. }
  apply Rabs_le_inv in H1.
  assert (H3 : - (7 * u * L0) <= Lg - L0 <= 7 * u * L0) by nra.
  rewrite softplus_stable. fold e. fold L0. unfold softplus_fl.
  destruct (Rlt_dec 0 z) as [P|P].
  - assert (Big : / 4 <= z + Lg).
    { destruct (Rle_dec (/ 4) z); [nra|].
      assert (e >= 3 / 4).
      { unfold e. rewrite Rabs_pos_eq by lra.
        pose proof (exp_ineq1_le (- z)). lra. }
      nra. }
    destruct (fl_rel_ge (z + Lg) (/ 4)) as [d [Hd D]];
      [pose proof bpow_m1022_le_half; lra|exact Big|].
    rewrite D. apply Rabs_le. split; nra.
  - rewrite Rplus_0_l, Rplus_0_l. unfold fl.
    rewrite round_generic; [|now apply valid_rnd_N|exact HF].
    apply Rabs_le. split; nra.
Qed.

(** ** Cross-entropy from z, one output: [y sp(-z) + (1 - y) sp(z)] *)

(** A rounded operation whose exact result is 0 or not subnormal. *)
Definition zero_or_normal (x : R) : Prop := x = 0 \/ bpow radix2 (-1022) <= Rabs x.

Lemma fl_rel0 x : zero_or_normal x -> exists d, - u <= d <= u /\ fl x = x * (1 + d).
Proof.
  intros [->|H]; [|apply fl_rel, H].
  exists 0. split; [unfold u; lra|]. unfold fl. rewrite round_0; [ring|].
  now apply valid_rnd_N.
Qed.

Lemma softplus_pos z : 0 < softplus z.
Proof.
  unfold softplus. rewrite <- ln_1. apply ln_increasing; [lra|].
  pose proof (exp_pos z). lra.
Qed.

Lemma rel_of_abs a A k :
  0 < a -> Rabs (A - a) <= k * a -> exists r, - k <= r <= k /\ A = a * (1 + r).
Proof.
  intros Ha H. exists ((A - a) / a). split; [|field; lra].
  apply Rabs_le_inv in H. split;
    (apply (Rmult_le_reg_r a); [lra|]; unfold Rdiv;
     rewrite Rmult_assoc, Rinv_l by lra; lra).
Qed.

Theorem xent_term_fl_error y z E1 L1 E2 L2 :
  0 <= y <= 1 ->
  exp_within_ulp (- Rabs (- z)) E1 -> log1p_within_ulp E1 L1 ->
  generic_format radix2 (FLT_exp (-1074) 53) L1 ->
  exp_within_ulp (- Rabs z) E2 -> log1p_within_ulp E2 L2 ->
  generic_format radix2 (FLT_exp (-1074) 53) L2 ->
  let S1 := softplus_fl (- z) L1 in let S2 := softplus_fl z L2 in
  zero_or_normal (1 - y) -> zero_or_normal (y * S1) ->
  zero_or_normal (fl (1 - y) * S2) ->
  zero_or_normal (fl (y * S1) + fl (fl (1 - y) * S2)) ->
  Rabs (fl (fl (y * S1) + fl (fl (1 - y) * S2)) - xent y (sigma z))
  <= 13 * u * xent y (sigma z).
Proof.
  intros Hy HE1 HL1 HF1 HE2 HL2 HF2 S1 S2 N0 N1 N2 N3.
  destruct (rel_of_abs _ _ _ (softplus_pos (- z))
              (softplus_fl_error (- z) E1 L1 HE1 HL1 HF1)) as [s1 [Hs1 ES1]].
  destruct (rel_of_abs _ _ _ (softplus_pos z)
              (softplus_fl_error z E2 L2 HE2 HL2 HF2)) as [s2 [Hs2 ES2]].
  fold S1 in ES1. fold S2 in ES2.
  destruct (fl_rel0 _ N0) as [d0 [Hd0 D0]].
  destruct (fl_rel0 _ N1) as [d1 [Hd1 D1]].
  destruct (fl_rel0 _ N2) as [d2 [Hd2 D2]].
  destruct (fl_rel0 _ N3) as [d3 [Hd3 D3]].
  rewrite D3, D1, D2, D0, ES1, ES2, xent_fn_z_form.
  pose proof (softplus_pos z). pose proof (softplus_pos (- z)).
  set (A := y * softplus (- z)). set (B := (1 - y) * softplus z).
  assert (HA : 0 <= A) by (unfold A; nra).
  assert (HB : 0 <= B) by (unfold B; nra).
  set (c1 := (1 + s1) * (1 + d1) * (1 + d3) - 1).
  set (c2 := (1 + d0) * (1 + s2) * (1 + d2) * (1 + d3) - 1).
  replace ((y * (softplus (- z) * (1 + s1)) * (1 + d1)
            + (1 - y) * (1 + d0) * (softplus z * (1 + s2)) * (1 + d2)) * (1 + d3)
           - (A + B))
    with (A * c1 + B * c2) by (unfold A, B, c1, c2; ring).
  assert (C1 : - (13 * u) <= c1 <= 13 * u) by (unfold c1, u in *; gappa).
  assert (C2 : - (13 * u) <= c2 <= 13 * u) by (unfold c2, u in *; gappa).
  pose proof (Rmult_le_compat_l A _ _ HA (proj1 C1)).
  pose proof (Rmult_le_compat_l A _ _ HA (proj2 C1)).
  pose proof (Rmult_le_compat_l B _ _ HB (proj1 C2)).
  pose proof (Rmult_le_compat_l B _ _ HB (proj2 C2)).
  apply Rabs_le. fold A B. split; lra.
Qed.
