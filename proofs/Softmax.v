(** * Softmax: a probability distribution from any scores

    [a_j = e^{z_j} / sum_k e^{z_k}]  (book eq. 78), for any number [n >= 1]
    of outputs.  SPEC identities 6, 7, 8, 9.
    C: [gp_softmax], [gp_log_softmax] (src/activation.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common.
Open Scope R_scope.

Definition softmax_denom (n : nat) (z : nat -> R) : R :=
  fsum n (fun k => exp (z k)).

Definition softmax (n : nat) (z : nat -> R) (j : nat) : R :=
  exp (z j) / softmax_denom n z.

Lemma softmax_denom_pos n z : (1 <= n)%nat -> 0 < softmax_denom n z.
Proof. intros Hn. apply fsum_pos; [exact Hn|intros; apply exp_pos]. Qed.

(** SPEC 6 (eq. 79): outputs are positive ... *)
Theorem softmax_positive n z j : (1 <= n)%nat -> 0 < softmax n z j.
Proof.
  intros Hn. unfold softmax. apply Rdiv_lt_0_compat;
    [apply exp_pos|apply softmax_denom_pos, Hn].
Qed.

(** ... and sum to 1. *)
Theorem softmax_sums_to_one n z :
  (1 <= n)%nat -> fsum n (softmax n z) = 1.
Proof.
  intros Hn. pose proof (softmax_denom_pos n z Hn). unfold softmax.
  unfold Rdiv. rewrite fsum_scal_r. fold (softmax_denom n z). field. lra.
Qed.

(** With two or more outputs, each output is below 1. *)
Theorem softmax_lt_one n z j :
  (2 <= n)%nat -> (j < n)%nat -> softmax n z j < 1.
Proof.
  intros Hn Hj. unfold softmax, softmax_denom.
  rewrite (fsum_split n j) by exact Hj.
  set (r := fsum n _).
  assert (0 < r).
  { set (k := if Nat.eqb j 0 then 1%nat else 0%nat).
    assert (Hk : (k < n)%nat /\ k <> j).
    { unfold k. destruct (Nat.eqb j 0) eqn:E;
        [apply Nat.eqb_eq in E|apply Nat.eqb_neq in E]; lia. }
    apply (fsum_pos_one n k); [tauto| |].
    - intros i _. destruct (Nat.eqb i j); [lra|left; apply exp_pos].
    - destruct Hk as [_ Hk]. apply Nat.eqb_neq in Hk. rewrite Hk.
      apply exp_pos. }
  pose proof (exp_pos (z j)).
  apply (Rmult_lt_reg_r (exp (z j) + r)); [lra|].
  unfold Rdiv. rewrite Rmult_assoc, Rinv_l by lra. lra.
Qed.

(** ** The Jacobian (SPEC 7) *)

Lemma is_derive_exp_upd z k i :
  is_derive (fun t => exp (upd z k t i)) (z k) (kron i k * exp (z k)).
Proof.
  unfold upd, kron. destruct (Nat.eqb i k).
  - auto_derive; [exact I|ring].
  - auto_derive; [exact I|ring].
Qed.

(** [d a_j / d z_k = a_j (1[j = k] - a_k)] for all [j, k < n]. *)
Theorem softmax_jacobian n z j k :
  (j < n)%nat -> (k < n)%nat ->
  is_derive (fun t => softmax n (upd z k t) j) (z k)
            (softmax n z j * (kron j k - softmax n z k)).
Proof.
  intros Hj Hk. unfold softmax, softmax_denom.
  assert (HS : is_derive (fun t => fsum n (fun i => exp (upd z k t i))) (z k)
                         (exp (z k))).
  { rewrite <- (fsum_kron n k (fun _ => exp (z k)) Hk).
    apply is_derive_fsum. intros i _. apply is_derive_exp_upd. }
  assert (Hpos : 0 < fsum n (fun i => exp (z i))).
  { apply fsum_pos; [lia|intros; apply exp_pos]. }
  assert (Eself : fsum n (fun i => exp (upd z k (z k) i))
                  = fsum n (fun i => exp (z i))).
  { apply fsum_ext. intros i _. now rewrite upd_self. }
  pose proof (is_derive_div _ _ (z k) _ _ (is_derive_exp_upd z k j) HS) as D.
  cbv beta in D. rewrite Eself, upd_self in D.
  replace (exp (z j) / fsum n (fun i => exp (z i))
           * (kron j k - exp (z k) / fsum n (fun i => exp (z i))))
    with ((kron j k * exp (z k) * fsum n (fun i => exp (z i))
           - exp (z j) * exp (z k)) / fsum n (fun i => exp (z i)) ^ 2).
  - apply D. lra.
  - unfold kron. destruct (Nat.eqb j k) eqn:E.
    + apply Nat.eqb_eq in E. subst. field. lra.
    + field. lra.
Qed.

(** Monotonicity: raising [z_j] raises [a_j] (when [n >= 2]) ... *)
Theorem softmax_jacobian_diag_pos n z j :
  (2 <= n)%nat -> (j < n)%nat ->
  0 < softmax n z j * (kron j j - softmax n z j).
Proof.
  intros Hn Hj. unfold kron. rewrite Nat.eqb_refl.
  pose proof (softmax_lt_one n z j Hn Hj).
  pose proof (softmax_positive n z j ltac:(lia)). nra.
Qed.

(** ... and lowers every other output. *)
Theorem softmax_jacobian_offdiag_neg n z j k :
  (1 <= n)%nat -> j <> k ->
  softmax n z j * (kron j k - softmax n z k) < 0.
Proof.
  intros Hn Hjk. unfold kron. apply Nat.eqb_neq in Hjk. rewrite Hjk.
  pose proof (softmax_positive n z j Hn).
  pose proof (softmax_positive n z k Hn). nra.
Qed.

(** SPEC 8: softmax is non-local: with [n >= 2] outputs, every [a_j] has a
    non-zero partial derivative with respect to every [z_k]. *)
Corollary softmax_nonlocal n z j k :
  (2 <= n)%nat -> (j < n)%nat -> (k < n)%nat ->
  exists d, d <> 0 /\ is_derive (fun t => softmax n (upd z k t) j) (z k) d.
Proof.
  intros Hn Hj Hk. eexists. split; [|apply softmax_jacobian; assumption].
  destruct (Nat.eq_dec j k) as [->|Hjk].
  - pose proof (softmax_jacobian_diag_pos n z k Hn Hk). lra.
  - pose proof (softmax_jacobian_offdiag_neg n z j k ltac:(lia) Hjk). lra.
Qed.

(** ** Shift invariance and inversion (SPEC 9) *)

Theorem softmax_shift_invariant n z c j :
  (1 <= n)%nat -> softmax n (fun i => z i + c) j = softmax n z j.
Proof.
  intros Hn. pose proof (softmax_denom_pos n z Hn).
  unfold softmax, softmax_denom in *.
  rewrite (fsum_ext _ _ (fun i => exp (z i) * exp c))
    by (intros; apply exp_plus).
  rewrite fsum_scal_r, exp_plus. pose proof (exp_pos c). field. lra.
Qed.

(** Inversion: [z_j = ln a_j + C] with one [C] for every [j]. *)
Theorem softmax_inversion n z :
  (1 <= n)%nat ->
  exists C, forall j, (j < n)%nat -> z j = ln (softmax n z j) + C.
Proof.
  intros Hn. exists (ln (softmax_denom n z)). intros j _.
  pose proof (softmax_denom_pos n z Hn). unfold softmax.
  rewrite ln_div, ln_exp by (try apply exp_pos; lra). ring.
Qed.

(** Every probability vector with positive entries is a softmax output:
    [softmax (ln a) = a]. *)
Theorem softmax_of_log n a :
  (forall j, (j < n)%nat -> 0 < a j) -> fsum n a = 1 ->
  forall j, (j < n)%nat -> softmax n (fun i => ln (a i)) j = a j.
Proof.
  intros Hpos Hsum j Hj. unfold softmax, softmax_denom.
  rewrite (fsum_ext _ _ a) by (intros i Hi; apply exp_ln, Hpos, Hi).
  rewrite Hsum, exp_ln by (apply Hpos, Hj). field.
Qed.

(** Log-softmax, as the C code evaluates it with a shift [m] (the maximum):
    [ln a_j = (z_j - m) - ln (sum_k e^{z_k - m})], for every [m]. *)
Theorem log_softmax_stable n z m j :
  (1 <= n)%nat ->
  ln (softmax n z j) = (z j - m) - ln (fsum n (fun k => exp (z k - m))).
Proof.
  intros Hn. rewrite <- (softmax_shift_invariant n z (- m) j Hn).
  pose proof (softmax_denom_pos n (fun i => z i + - m) Hn).
  unfold softmax, softmax_denom in *.
  rewrite ln_div, ln_exp by (try apply exp_pos; lra). reflexivity.
Qed.
