(** * Sigmoid: the logistic function and its derivative

    [sigma z = 1 / (1 + e^{-z})]; identity 1 of doc/mathematics.md:
    [sigma'(z) = sigma(z) (1 - sigma(z))].  C: [gp_sigmoid],
    [gp_sigmoid_prime] (src/activation.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common.
Open Scope R_scope.

Definition sigma (z : R) : R := / (1 + exp (- z)).

Lemma one_plus_exp_pos z : 0 < 1 + exp z.
Proof. pose proof (exp_pos z). lra. Qed.

Theorem sigma_pos z : 0 < sigma z.
Proof. unfold sigma. apply Rinv_0_lt_compat, one_plus_exp_pos. Qed.

Theorem sigma_lt_1 z : sigma z < 1.
Proof.
  unfold sigma. pose proof (exp_pos (- z)).
  rewrite <- Rinv_1. apply Rinv_lt_contravar; lra.
Qed.

Theorem one_minus_sigma z : 1 - sigma z = sigma (- z).
Proof.
  unfold sigma. rewrite Ropp_involutive, exp_Ropp.
  pose proof (exp_pos z).
  assert (0 < / exp z) by (apply Rinv_0_lt_compat; lra).
  field. split; lra.
Qed.

(** sigma'(z) = sigma(z)(1 - sigma(z)).  (SPEC identity 1) *)
Theorem sigma_derivative z : is_derive sigma z (sigma z * (1 - sigma z)).
Proof.
  unfold sigma. auto_derive.
  - pose proof (one_plus_exp_pos (- z)). lra.
  - pose proof (one_plus_exp_pos (- z)). field. lra.
Qed.

Definition sigma' (z : R) : R := sigma z * (1 - sigma z).

Theorem sigma'_is_derivative z : is_derive sigma z (sigma' z).
Proof. apply sigma_derivative. Qed.

Theorem sigma'_pos z : 0 < sigma' z.
Proof.
  unfold sigma'. pose proof (sigma_pos z). pose proof (sigma_lt_1 z). nra.
Qed.

(** SPEC identity 11: a sigmoid output layer need not sum to 1.  For every
    number [n >= 1] of outputs there is a [z] with [sum_i sigma(z_i) <> 1]
    (take [z_0 = ln 3], [z_i = 0] otherwise: the sum is 3/4 + (n-1)/2). *)
Theorem sigmoid_layer_need_not_sum_to_one n :
  (1 <= n)%nat -> exists z : nat -> R, fsum n (fun i => sigma (z i)) <> 1.
Proof.
  intros Hn. exists (upd (fun _ => 0) 0 (ln 3)).
  rewrite (fsum_split n 0) by lia. rewrite upd_same.
  rewrite (fsum_ext _ _ (fun i => if Nat.eqb i 0 then 0 else / 2)).
  2:{ intros i _. destruct (Nat.eqb i 0) eqn:E; [reflexivity|].
      apply Nat.eqb_neq in E. rewrite upd_other by exact E.
      unfold sigma. rewrite Ropp_0, exp_0. field. }
  assert (S3 : sigma (ln 3) = 3 / 4).
  { unfold sigma. rewrite <- ln_Rinv by lra. rewrite exp_ln.
    - field.
    - apply Rinv_0_lt_compat. lra. }
  rewrite S3.
  destruct n as [|m]; [lia|].
  rewrite (fsum_ext _ _ (fun i => kron i 0 * 0 + (/ 2 - kron i 0 * / 2))).
  2:{ intros i _. unfold kron. destruct (Nat.eqb i 0); ring. }
  rewrite fsum_plus, fsum_minus, fsum_kron, fsum_kron, fsum_const by lia.
  rewrite S_INR. intros H.
  destruct m as [|m].
  - simpl in H. lra.
  - rewrite S_INR in H. pose proof (pos_INR m). lra.
Qed.
