(** * CrossEntropy: the cross-entropy cost of one sigmoid output

    [C y a = -[y ln a + (1 - y) ln (1 - a)]]  (book eq. 57, 63), for a target
    [y] in [0,1] and an activation [a] in (0,1).  SPEC identities 2, 3, 5.
    C: [gp_cost_cross_entropy] (src/cost.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid.
Open Scope R_scope.

Definition xent (y a : R) : R := - (y * ln a + (1 - y) * ln (1 - a)).

(** The binary entropy of [y]: the value of the cost at [a = y]. *)
Definition binary_entropy (y : R) : R := - (y * ln y + (1 - y) * ln (1 - y)).

(** SPEC 2: the cost is non-negative. *)
Theorem xent_nonneg y a :
  0 <= y <= 1 -> 0 < a < 1 -> 0 <= xent y a.
Proof.
  intros Hy Ha. unfold xent.
  assert (ln a < 0) by (rewrite <- ln_1; apply ln_increasing; lra).
  assert (ln (1 - a) < 0) by (rewrite <- ln_1; apply ln_increasing; lra).
  nra.
Qed.

(** SPEC 2: it tends to 0 as [a] tends to a {0,1} target. *)
Theorem xent_tends_to_zero_at_target :
  is_lim (xent 1) 1 0 /\ is_lim (xent 0) 0 0.
Proof.
  assert (Hc : forall x, 0 < x -> continuity_pt ln x).
  { intros x Hx. apply derivable_continuous_pt.
    exists (/ x). now apply derivable_pt_lim_ln. }
  split.
  - apply (is_lim_ext (fun a => - ln a)).
    { intros a. unfold xent. ring. }
    replace 0 with (- ln 1) by (rewrite ln_1; ring).
    apply (is_lim_continuity (fun a => - ln a)).
    apply continuity_pt_opp, Hc. lra.
  - apply (is_lim_ext (fun a => - ln (1 - a))).
    { intros a. unfold xent. ring. }
    assert (C : continuity_pt (fun a => - ln (1 - a)) 0).
    { apply continuity_pt_opp.
      apply (continuity_pt_comp (fun a => 1 - a) ln).
      - apply continuity_pt_minus;
          [apply continuity_pt_const; intros ??; reflexivity
          |apply derivable_continuous_pt, derivable_pt_id].
      - apply Hc. lra. }
    pose proof (is_lim_continuity _ 0 C) as L. simpl in L.
    replace (- ln (1 - 0)) with 0 in L
      by (replace (1 - 0) with 1 by ring; rewrite ln_1; ring).
    exact L.
Qed.

(** [ln x <= x - 1], strictly unless [x = 1]. *)
Lemma ln_le_sub1 x : 0 < x -> ln x <= x - 1.
Proof.
  intros Hx. destruct (Req_dec (ln x) 0) as [E|E].
  - rewrite E. rewrite <- (exp_ln x Hx), E, exp_0. lra.
  - pose proof (exp_ineq1 (ln x) E). rewrite exp_ln in H by exact Hx. lra.
Qed.

Lemma ln_lt_sub1 x : 0 < x -> x <> 1 -> ln x < x - 1.
Proof.
  intros Hx H1. assert (E : ln x <> 0).
  { intros E. apply H1. rewrite <- (exp_ln x Hx), E. apply exp_0. }
  pose proof (exp_ineq1 (ln x) E). rewrite exp_ln in H by exact Hx. lra.
Qed.

(** Gibbs' inequality for two-point distributions: the excess of the cost
    over its value at [a = y] is a Kullback-Leibler divergence, [>= 0]. *)
Lemma xent_excess y a :
  0 < y < 1 -> 0 < a < 1 ->
  xent y a - xent y y
  = - (y * ln (a / y) + (1 - y) * ln ((1 - a) / (1 - y))).
Proof.
  intros Hy Ha. unfold xent.
  rewrite !ln_div by lra. ring.
Qed.

(** SPEC 3: for a target [y] in (0,1), [a = y] is a minimiser on (0,1) ... *)
Theorem xent_minimal_at_target y a :
  0 < y < 1 -> 0 < a < 1 -> xent y y <= xent y a.
Proof.
  intros Hy Ha.
  assert (0 < a / y) by (apply Rdiv_lt_0_compat; lra).
  assert (0 < (1 - a) / (1 - y)) by (apply Rdiv_lt_0_compat; lra).
  pose proof (ln_le_sub1 _ H). pose proof (ln_le_sub1 _ H0).
  pose proof (xent_excess y a Hy Ha).
  assert (y * ln (a / y) <= a - y).
  { replace (a - y) with (y * (a / y - 1)) by (field; lra).
    apply Rmult_le_compat_l; lra. }
  assert ((1 - y) * ln ((1 - a) / (1 - y)) <= y - a).
  { replace (y - a) with ((1 - y) * ((1 - a) / (1 - y) - 1)) by (field; lra).
    apply Rmult_le_compat_l; lra. }
  lra.
Qed.

(** ... and it is the only one: any other [a] gives a strictly larger cost. *)
Theorem xent_strictly_larger_off_target y a :
  0 < y < 1 -> 0 < a < 1 -> a <> y -> xent y y < xent y a.
Proof.
  intros Hy Ha Hne.
  assert (0 < a / y) by (apply Rdiv_lt_0_compat; lra).
  assert (0 < (1 - a) / (1 - y)) by (apply Rdiv_lt_0_compat; lra).
  assert (a / y <> 1).
  { intros E. apply Hne. apply (Rmult_eq_reg_r (/ y)).
    - unfold Rdiv in E. rewrite E. field. lra.
    - apply Rinv_neq_0_compat. lra. }
  pose proof (ln_lt_sub1 _ H H1). pose proof (ln_le_sub1 _ H0).
  pose proof (xent_excess y a Hy Ha).
  assert (y * ln (a / y) < a - y).
  { replace (a - y) with (y * (a / y - 1)) by (field; lra).
    apply Rmult_lt_compat_l; lra. }
  assert ((1 - y) * ln ((1 - a) / (1 - y)) <= y - a).
  { replace (y - a) with ((1 - y) * ((1 - a) / (1 - y) - 1)) by (field; lra).
    apply Rmult_le_compat_l; lra. }
  lra.
Qed.

(** SPEC 3, as one statement: on (0,1), [m] minimises [a |-> C y a] exactly
    when [m = y]; the minimum value is the binary entropy of [y]. *)
Theorem xent_unique_minimiser y m :
  0 < y < 1 -> 0 < m < 1 ->
  ((forall a, 0 < a < 1 -> xent y m <= xent y a) <-> m = y).
Proof.
  intros Hy Hm. split.
  - intros Hmin. destruct (Req_dec m y) as [E|E]; [exact E|].
    exfalso. pose proof (xent_strictly_larger_off_target y m Hy Hm E).
    specialize (Hmin y Hy). lra.
  - intros ->. intros a Ha. now apply xent_minimal_at_target.
Qed.

Theorem xent_minimum_is_binary_entropy y :
  0 < y < 1 ->
  xent y y = binary_entropy y /\
  (forall a, 0 < a < 1 -> binary_entropy y <= xent y a).
Proof.
  intros Hy. split; [reflexivity|].
  intros a Ha. apply xent_minimal_at_target; assumption.
Qed.

(** [dC/da = (a - y) / (a (1 - a))] on (0,1)  (SPEC cost table). *)
Theorem xent_dCda y a :
  0 < a < 1 -> is_derive (xent y) a ((a - y) / (a * (1 - a))).
Proof.
  intros Ha. unfold xent. auto_derive.
  - split; [lra|split; [lra|exact I]].
  - field. lra.
Qed.

(** ** The softplus (numerically stable) form used by the C code *)

Lemma softplus_shift z : ln (1 + exp z) = z + ln (1 + exp (- z)).
Proof.
  replace (1 + exp z) with (exp z * (1 + exp (- z))).
  - rewrite ln_mult, ln_exp; [ring|apply exp_pos|apply one_plus_exp_pos].
  - rewrite Rmult_plus_distr_l, <- exp_plus.
    replace (z + - z) with 0 by ring. rewrite exp_0. ring.
Qed.

Lemma ln_sigma z : ln (sigma z) = - ln (1 + exp (- z)).
Proof. unfold sigma. rewrite ln_Rinv; [reflexivity|apply one_plus_exp_pos]. Qed.

(** From the pre-activation: [C y (sigma z) = ln (1 + e^{-z}) + (1 - y) z]. *)
Theorem xent_sigmoid_softplus y z :
  xent y (sigma z) = ln (1 + exp (- z)) + (1 - y) * z.
Proof.
  unfold xent. rewrite one_minus_sigma, !ln_sigma, Ropp_involutive.
  rewrite (softplus_shift z). ring.
Qed.

(** SPEC 5: the {-1,+1}-label form [ln (1 + e^{-y s})] is the {0,1}
    cross-entropy of [a = sigma(s)] with target [(y + 1) / 2]. *)
Theorem xent_label_pm1_form y s :
  (y = 1 \/ y = -1) ->
  ln (1 + exp (- (y * s))) = xent ((y + 1) / 2) (sigma s).
Proof.
  intros [-> | ->]; rewrite xent_sigmoid_softplus.
  - replace (1 * s) with s by ring.
    replace ((1 + 1) / 2) with 1 by field. ring.
  - replace ((-1 + 1) / 2) with 0 by field.
    replace (- (-1 * s)) with s by ring.
    rewrite softplus_shift. ring.
Qed.

Corollary xent_label_pm1_cases s :
  xent 1 (sigma s) = ln (1 + exp (- s)) /\
  xent 0 (sigma s) = ln (1 + exp s).
Proof.
  rewrite !xent_sigmoid_softplus. split; [ring|].
  rewrite (softplus_shift s). ring.
Qed.
