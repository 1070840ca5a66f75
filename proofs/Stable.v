(** * Stable: soft targets, cost gradients that compose, and every stable form

    - Log-likelihood with a soft target [y] ([sum_j y_j = 1], any sign):
      [C = - sum_j y_j ln a_j] with a softmax output has gradient
      [delta = a - y] ([output_grad_loglik_soft]); the one-hot cost of
      OutputError.v is the case [y = e_c] ([loglik_one_hot_is_soft]).
    - Every cost row has a gradient in the composing sense [has_grad]
      (Gradient.v), so Deep.v's BP1-BP4 apply to each of them.
    - The forms the C code evaluates, equal to the textbook forms over the
      reals: [gp_sigmoid]'s two branches, [gp_sigmoid_prime] as
      [sigma(z) sigma(-z)], the batch kernel's [e/d], [e/d^2], [gp_softplus],
      cross-entropy's [fn_z], the log-sum-exp and the log1p branch of the
      log-likelihood's [fn_z].
    C: src/activation.c, src/cost.c. *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient CrossEntropy Softmax OutputError.
Open Scope R_scope.

(** ** Cost rows with a composing gradient *)

Theorem output_grad_quad_sigmoid n y z :
  has_grad n (cost_quad_sigmoid n y) z (delta_quad_sigmoid y z).
Proof.
  apply (separable_has_grad n (fun i t => quad (y i) (sigma t))).
  intros i _. apply quad_sigmoid_dCdz.
Qed.

Theorem output_grad_quad_linear n y z :
  has_grad n (cost_quad_linear n y) z (delta_quad_linear y z).
Proof.
  apply (separable_has_grad n (fun i t => quad (y i) t)).
  intros i _. apply quad_linear_dCdz.
Qed.

Theorem output_grad_xent_sigmoid n y z :
  has_grad n (cost_xent_sigmoid n y) z (delta_xent_sigmoid y z).
Proof.
  apply (separable_has_grad n (fun i t => xent (y i) (sigma t))).
  intros i _. apply xent_sigmoid_dCdz.
Qed.

(** [C = - sum_j y_j ln a_j], [a = softmax z]: the code's [ll_fn_a]. *)
Definition cost_loglik_soft (n : nat) (y z : nat -> R) : R :=
  - fsum n (fun j => y j * ln (softmax n z j)).

Lemma cost_loglik_soft_expand n y z :
  (1 <= n)%nat -> fsum n y = 1 ->
  cost_loglik_soft n y z = ln (softmax_denom n z) - fsum n (fun j => y j * z j).
Proof.
  intros Hn Hy. unfold cost_loglik_soft, softmax.
  pose proof (softmax_denom_pos n z Hn).
  rewrite (fsum_ext _ _ (fun j => y j * z j - y j * ln (softmax_denom n z))).
  - rewrite fsum_minus, fsum_scal_r, Hy. ring.
  - intros j _. rewrite ln_div, ln_exp by (try apply exp_pos; lra). ring.
Qed.

(** Soft targets: [delta = a - y] whenever [sum_j y_j = 1]. *)
Theorem output_grad_loglik_soft n y z :
  (1 <= n)%nat -> fsum n y = 1 ->
  has_grad n (cost_loglik_soft n y) z (fun j => softmax n z j - y j).
Proof.
  intros Hn Hy c dc t0 Hc0 Hdc.
  apply (is_derive_ext (fun t => ln (softmax_denom n (c t)) - fsum n (fun j => y j * c t j))).
  { intros t. symmetry. apply cost_loglik_soft_expand; assumption. }
  assert (E0 : softmax_denom n (c t0) = softmax_denom n z).
  { apply fsum_ext. intros i Hi. now rewrite Hc0. }
  pose proof (softmax_denom_pos n z Hn) as Hpos.
  apply (is_derive_eq _ _ (fsum n (fun i => dc i * exp (z i)) * / softmax_denom n z
                           - fsum n (fun j => y j * dc j))).
  - apply is_derive_Rplus.
    + apply (is_derive_eq _ _ (fsum n (fun i => dc i * exp (z i)) * / softmax_denom n (c t0))).
      * apply (is_derive_Rcomp ln (fun t => softmax_denom n (c t)) t0).
        -- auto_derive; [rewrite E0; exact Hpos|ring].
        -- apply is_derive_fsum. intros i Hi. rewrite <- (Hc0 i Hi).
           apply (is_derive_Rcomp exp (fun t => c t i)); [|apply Hdc, Hi].
           auto_derive; [exact I|ring].
      * now rewrite E0.
    + apply (is_derive_ext (fun t => -1 * fsum n (fun j => y j * c t j)));
        [intros t; change (-1 * fsum n (fun j => y j * c t j)
                            = - fsum n (fun j => y j * c t j)); ring|].
      apply (is_derive_eq _ _ (-1 * fsum n (fun j => y j * dc j))); [|ring].
      apply is_derive_Rscal. apply is_derive_fsum. intros j Hj.
      apply is_derive_Rscal, Hdc, Hj.
  - unfold softmax. rewrite <- fsum_scal_r, <- fsum_minus. apply fsum_ext.
    intros i _. unfold Rdiv. ring.
Qed.

(** The one-hot cost [- ln a_c] is the soft cost with [y = e_c]. *)
Theorem loglik_one_hot_is_soft n c z :
  (c < n)%nat ->
  cost_loglik_softmax n c z = cost_loglik_soft n (fun j => kron j c) z.
Proof.
  intros Hc. unfold cost_loglik_softmax, cost_loglik_soft. f_equal.
  symmetry. apply (fsum_kron n c (fun j => ln (softmax n z j)) Hc).
Qed.

(** ** The stable forms, as the code evaluates them *)

(** [gp_sigmoid]: [1/(1+e^{-z})] for [z >= 0], [e^z/(1+e^z)] for [z < 0]. *)
Theorem sigma_negative_branch z : sigma z = exp z / (1 + exp z).
Proof.
  unfold sigma. rewrite exp_Ropp. pose proof (exp_pos z). field. split; lra.
Qed.

Definition sigma_code (z : R) : R :=
  if Rle_dec 0 z then 1 / (1 + exp (- z)) else exp z / (1 + exp z).

Theorem sigma_code_exact z : sigma_code z = sigma z.
Proof.
  unfold sigma_code. destruct (Rle_dec 0 z).
  - unfold sigma, Rdiv. ring.
  - symmetry. apply sigma_negative_branch.
Qed.

(** [gp_sigmoid_prime]: [sigma(z) sigma(-z)]. *)
Theorem sigma'_product_form z : sigma' z = sigma z * sigma (- z).
Proof. unfold sigma'. now rewrite one_minus_sigma. Qed.

(** The batch kernel ([sigmoid_n_scalar], [sigmoid_n_avx512]): with
    [e = e^{-|z|}], [d = 1 + e]: [sigma(z) = (z >= 0 ? 1 : e) / d] and
    [sigma'(z) = e / d^2]. *)
Theorem sigma_kernel_form z :
  let e := exp (- Rabs z) in let d := 1 + e in
  sigma z = (if Rle_dec 0 z then 1 else e) / d /\ sigma' z = e / (d * d).
Proof.
  intros e d. subst d e. pose proof (exp_pos (- z)). pose proof (exp_pos z).
  rewrite sigma'_product_form.
  destruct (Rle_dec 0 z) as [P|P].
  - rewrite Rabs_pos_eq by exact P. split.
    + unfold sigma, Rdiv. ring.
    + rewrite (sigma_negative_branch (- z)). unfold sigma. field. lra.
  - rewrite Rabs_left by lra. rewrite Ropp_involutive. split.
    + apply sigma_negative_branch.
    + rewrite sigma_negative_branch. unfold sigma. rewrite Ropp_involutive.
      field. lra.
Qed.

(** [gp_softplus]: [ln(1 + e^z) = max(z, 0) + ln(1 + e^{-|z|})] (log1p). *)
Definition softplus (z : R) : R := ln (1 + exp z).

Theorem softplus_stable z :
  softplus z = (if Rlt_dec 0 z then z else 0) + ln (1 + exp (- Rabs z)).
Proof.
  unfold softplus. destruct (Rlt_dec 0 z).
  - rewrite Rabs_pos_eq by lra. apply softplus_shift.
  - rewrite Rabs_left1 by lra. rewrite Ropp_involutive. ring.
Qed.

(** Cross-entropy's [fn_z]: [y softplus(-z) + (1 - y) softplus(z)], any
    real [y] (soft targets included). *)
Theorem xent_fn_z_form y z :
  xent y (sigma z) = y * softplus (- z) + (1 - y) * softplus z.
Proof.
  rewrite xent_sigmoid_softplus. unfold softplus.
  rewrite (softplus_shift z). ring.
Qed.

(** [gp_log_sum_exp] with shift [m]: [-ln a_j = lse - z_j]. *)
Theorem neg_log_softmax_lse n z m j :
  (1 <= n)%nat ->
  - ln (softmax n z j) = (m + ln (fsum n (fun k => exp (z k - m)))) - z j.
Proof. intros Hn. rewrite (log_softmax_stable n z m j Hn). ring. Qed.

(** The log1p branch of [neg_log_softmax] (used when [z_j] is the maximum):
    [-ln a_j = log1p(sum_{k <> j} e^{z_k - z_j})]. *)
Theorem neg_log_softmax_log1p n z j :
  (j < n)%nat ->
  - ln (softmax n z j)
  = ln (1 + fsum n (fun k => if Nat.eqb k j then 0 else exp (z k - z j))).
Proof.
  intros Hj. rewrite (log_softmax_stable n z (z j) j) by lia.
  rewrite (fsum_split n j) by exact Hj.
  replace (z j - z j) with 0 by ring. rewrite exp_0. ring.
Qed.
