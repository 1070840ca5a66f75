(** * OutputError: the output error [delta^L = dC/dz^L] for every cost row

    doc/mathematics.md "Costs" table (book eqs. 55-56, 65, 66, 68-70, 80-84).  A cost is
    a function of the output pre-activation vector [z^L] (length [n >= 1]);
    we prove it [has_gradient] equal to the tabulated [delta^L] (a full
    gradient: every directional derivative), and read off each partial
    derivative [dC/dz^L_j = delta^L_j].
    C: [gp_cost_quadratic], [gp_cost_quadratic_linear],
    [gp_cost_cross_entropy], [gp_cost_log_likelihood] ([.delta], [.dfda],
    [.fn_a], [.fn_z]; src/cost.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid CrossEntropy Softmax.
Open Scope R_scope.

(** ** One output: dC/da and dC/dz *)

Definition quad (y a : R) : R := (a - y) ^ 2 / 2.

Theorem quad_dCda y a : is_derive (quad y) a (a - y).
Proof. unfold quad. auto_derive; [exact I|field]. Qed.

(** quadratic / sigmoid: [delta = (a - y) sigma'(z)]  (eq. 55-56, 65) *)
Theorem quad_sigmoid_dCdz y z :
  is_derive (fun z => quad y (sigma z)) z ((sigma z - y) * sigma' z).
Proof.
  rewrite Rmult_comm.
  apply (is_derive_Rcomp (quad y) sigma z); [apply quad_dCda|].
  apply sigma'_is_derivative.
Qed.

(** quadratic / linear: [delta = a - y = z - y]  (eq. 68-70) *)
Theorem quad_linear_dCdz y z : is_derive (fun z => quad y z) z (z - y).
Proof. apply quad_dCda. Qed.

(** cross-entropy / sigmoid: [delta = a - y], no [sigma'] factor  (eq. 66) *)
Theorem xent_sigmoid_dCdz y z :
  is_derive (fun z => xent y (sigma z)) z (sigma z - y).
Proof.
  apply (is_derive_ext (fun z => ln (1 + exp (- z)) + (1 - y) * z)).
  { intros t. symmetry. apply xent_sigmoid_softplus. }
  auto_derive.
  - apply one_plus_exp_pos.
  - unfold sigma. pose proof (one_plus_exp_pos (- z)). field. lra.
Qed.

(** The chain rule the book uses for eq. 66: [dC/da * sigma'(z) = a - y]. *)
Theorem xent_dCda_times_sigma' y z :
  (sigma z - y) / (sigma z * (1 - sigma z)) * sigma' z = sigma z - y.
Proof.
  unfold sigma'. pose proof (sigma_pos z). pose proof (sigma_lt_1 z).
  field. split; lra.
Qed.

(** ** Vector costs: [n] outputs *)

(** A cost that is a sum of one term per output has, as gradient, the
    vector of the terms' derivatives. *)
Lemma separable_has_gradient n (c : nat -> R -> R) (z d : nat -> R) :
  (forall i, (i < n)%nat -> is_derive (c i) (z i) (d i)) ->
  has_gradient n (fun u => fsum n (fun i => c i (u i))) z d.
Proof.
  intros H v. apply is_derive_fsum. intros i Hi.
  apply (is_derive_Rcomp (c i) (fun s => z i + s * v i)).
  - replace (z i + 0 * v i) with (z i) by ring. apply H, Hi.
  - auto_derive; [exact I|ring].
Qed.

Lemma separable_respects n (c : nat -> R -> R) :
  respects n (fun u => fsum n (fun i => c i (u i))).
Proof. intros u v H. apply fsum_ext. intros i Hi. now rewrite H. Qed.

(** [C = 1/2 ||sigma(z) - y||^2] *)
Definition cost_quad_sigmoid (n : nat) (y z : nat -> R) : R :=
  fsum n (fun i => quad (y i) (sigma (z i))).

Definition cost_quad_linear (n : nat) (y z : nat -> R) : R :=
  fsum n (fun i => quad (y i) (z i)).

Definition cost_xent_sigmoid (n : nat) (y z : nat -> R) : R :=
  fsum n (fun i => xent (y i) (sigma (z i))).

(** [C = - ln a_y] for a class index [y]  (eq. 80) *)
Definition cost_loglik_softmax (n : nat) (y : nat) (z : nat -> R) : R :=
  - ln (softmax n z y).

Definition delta_quad_sigmoid (y z : nat -> R) (i : nat) : R :=
  (sigma (z i) - y i) * sigma' (z i).
Definition delta_quad_linear (y z : nat -> R) (i : nat) : R := z i - y i.
Definition delta_xent_sigmoid (y z : nat -> R) (i : nat) : R :=
  sigma (z i) - y i.
Definition delta_loglik_softmax (n y : nat) (z : nat -> R) (i : nat) : R :=
  softmax n z i - kron i y.

Theorem output_error_quad_sigmoid n y z :
  has_gradient n (cost_quad_sigmoid n y) z (delta_quad_sigmoid y z).
Proof.
  apply (separable_has_gradient n (fun i t => quad (y i) (sigma t))).
  intros i _. apply quad_sigmoid_dCdz.
Qed.

Theorem output_error_quad_linear n y z :
  has_gradient n (cost_quad_linear n y) z (delta_quad_linear y z).
Proof.
  apply (separable_has_gradient n (fun i t => quad (y i) t)).
  intros i _. apply quad_linear_dCdz.
Qed.

Theorem output_error_xent_sigmoid n y z :
  has_gradient n (cost_xent_sigmoid n y) z (delta_xent_sigmoid y z).
Proof.
  apply (separable_has_gradient n (fun i t => xent (y i) (sigma t))).
  intros i _. apply xent_sigmoid_dCdz.
Qed.

Lemma cost_loglik_softmax_expand n y z :
  (1 <= n)%nat ->
  cost_loglik_softmax n y z = ln (softmax_denom n z) - z y.
Proof.
  intros Hn. unfold cost_loglik_softmax, softmax.
  pose proof (softmax_denom_pos n z Hn).
  rewrite ln_div, ln_exp by (try apply exp_pos; lra). ring.
Qed.

(** log-likelihood / softmax: [delta = a - e_y]  (eq. 81-84), any [n >= 1]. *)
Theorem output_error_loglik_softmax n y z :
  (1 <= n)%nat -> (y < n)%nat ->
  has_gradient n (cost_loglik_softmax n y) z (delta_loglik_softmax n y z).
Proof.
  intros Hn Hy v.
  apply (is_derive_ext (fun s => ln (softmax_denom n (fun i => z i + s * v i))
                                 - (z y + s * v y))).
  { intros s. now rewrite cost_loglik_softmax_expand. }
  pose proof (softmax_denom_pos n z Hn) as Hpos.
  assert (HS : is_derive (fun s => softmax_denom n (fun i => z i + s * v i)) 0
                         (fsum n (fun i => v i * exp (z i)))).
  { apply is_derive_fsum. intros i _.
    auto_derive; [exact I|]. replace (z i + 0 * v i) with (z i) by ring. ring. }
  assert (E0 : softmax_denom n (fun i => z i + 0 * v i) = softmax_denom n z).
  { apply fsum_ext. intros i _. now replace (z i + 0 * v i) with (z i) by ring. }
  replace (fsum n (fun i => v i * delta_loglik_softmax n y z i))
    with (fsum n (fun i => v i * exp (z i))
            * / softmax_denom n (fun i => z i + 0 * v i) - v y).
  - apply is_derive_Rplus.
    + apply (is_derive_Rcomp ln (fun s => softmax_denom n (fun i => z i + s * v i)) 0).
      * auto_derive; [rewrite E0; exact Hpos|ring].
      * exact HS.
    + auto_derive; [exact I|ring].
  - rewrite E0. unfold delta_loglik_softmax, softmax.
    assert (E1 : fsum n (fun i => v i * (exp (z i) / softmax_denom n z - kron i y))
                 = fsum n (fun i => v i * exp (z i)) * / softmax_denom n z
                   - fsum n (fun i => kron i y * v i)).
    { rewrite <- fsum_scal_r, <- fsum_minus. apply fsum_ext.
      intros i _. unfold Rdiv. ring. }
    rewrite E1, fsum_kron by exact Hy. reflexivity.
Qed.

(** [dC/da] for log-likelihood: [-1/a_y] at [y], 0 elsewhere. *)
Theorem loglik_dCda (a : nat -> R) y k :
  0 < a y ->
  is_derive (fun t => - ln (upd a k t y)) (a k) (- kron k y / a y).
Proof.
  intros Ha. unfold upd, kron. destruct (Nat.eqb y k) eqn:E.
  - apply Nat.eqb_eq in E. subst. rewrite Nat.eqb_refl.
    auto_derive; [lra|field; lra].
  - assert (E' : Nat.eqb k y = false)
      by (apply Nat.eqb_neq; apply Nat.eqb_neq in E; lia).
    rewrite E'. auto_derive; [exact I|field; lra].
Qed.

(** Every partial derivative, for each cost row:
    [dC/dz^L_j = delta^L_j] for [j < n]. *)
Corollary output_error_partials n j (y : nat -> R) (c : nat) z :
  (j < n)%nat ->
  is_derive (fun t => cost_quad_sigmoid n y (upd z j t)) (z j)
            (delta_quad_sigmoid y z j) /\
  is_derive (fun t => cost_quad_linear n y (upd z j t)) (z j)
            (delta_quad_linear y z j) /\
  is_derive (fun t => cost_xent_sigmoid n y (upd z j t)) (z j)
            (delta_xent_sigmoid y z j) /\
  ((c < n)%nat ->
   is_derive (fun t => cost_loglik_softmax n c (upd z j t)) (z j)
             (delta_loglik_softmax n c z j)).
Proof.
  intros Hj. split; [|split; [|split]].
  - apply (gradient_gives_partial n); [|apply output_error_quad_sigmoid|exact Hj].
    intros u w H. unfold cost_quad_sigmoid. apply fsum_ext. intros i Hi.
    now rewrite H.
  - apply (gradient_gives_partial n); [|apply output_error_quad_linear|exact Hj].
    intros u w H. unfold cost_quad_linear. apply fsum_ext. intros i Hi.
    now rewrite H.
  - apply (gradient_gives_partial n); [|apply output_error_xent_sigmoid|exact Hj].
    intros u w H. unfold cost_xent_sigmoid. apply fsum_ext. intros i Hi.
    now rewrite H.
  - intros Hc. apply (gradient_gives_partial n); [|
      apply output_error_loglik_softmax; lia|exact Hj].
    intros u w H. unfold cost_loglik_softmax, softmax, softmax_denom.
    rewrite H by exact Hc. f_equal. f_equal. f_equal.
    apply fsum_ext. intros i Hi. now rewrite H.
Qed.
