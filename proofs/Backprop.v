(** * Backprop: the backpropagation equations for one hidden sigmoid layer

    A two-layer network of arbitrary widths [n0 -> n1 -> n2]:
    [z^1 = W^1 x + b^1], [a^1 = sigma(z^1)], [z^2 = W^2 a^1 + b^2], and a
    cost [g] of the output pre-activation [z^2] with gradient [delta^2]
    (each row of the SPEC cost table is such a [g]: see OutputError.v).
    Every derivative below is the true derivative of the cost with respect
    to one parameter (all other parameters fixed).
    - BP2: [dC/dz^1_j = ((W^2)^T delta^2)_j sigma'(z^1_j)]
    - BP3: [dC/db^l_j = delta^l_j]
    - BP4: [dC/dW^l_jk = delta^l_j a^{l-1}_k]
    - mini-batch: the gradient of the mean cost is the mean gradient.
    C: [gp_backprop_batch] (src/backprop.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid CrossEntropy OutputError Gradient.
Open Scope R_scope.

(** [layer], [act] and [delta1] are defined in Gradient.v. *)

(** Replace entry [(j, k)] of a matrix by [t]. *)
Definition upd2 (W : nat -> nat -> R) (j k : nat) (t : R) : nat -> nat -> R :=
  fun r => if Nat.eqb r j then upd (W j) k t else W r.

(** The cost of the whole network as a function of its parameters. *)
Definition net_cost (n0 n1 : nat) (g : (nat -> R) -> R)
  (W1 : nat -> nat -> R) (b1 : nat -> R) (W2 : nat -> nat -> R) (b2 : nat -> R)
  (x : nat -> R) : R :=
  g (layer n1 W2 b2 (act (layer n0 W1 b1 x))).

Section TwoLayer.

Variables (n0 n1 n2 : nat) (g : (nat -> R) -> R).
Hypothesis g_respects : respects n2 g.

(** Moving along a straight line in [z^2] space starting at [z^2]. *)
Lemma line_derivative (z2 d2 u : nat -> R) (c : R -> R) (x0 dc : R) :
  has_gradient n2 g z2 d2 -> c x0 = 0 -> is_derive c x0 dc ->
  is_derive (fun t => g (fun i => z2 i + c t * u i)) x0
            (dc * fsum n2 (fun i => u i * d2 i)).
Proof.
  intros Hg Hc0 Hc.
  apply (is_derive_Rcomp (fun s => g (fun i => z2 i + s * u i)) c x0);
    [rewrite Hc0; apply Hg|exact Hc].
Qed.

(** BP2: the chain rule through the hidden sigmoid layer. *)
Theorem bp2_hidden_error W2 b2 (z1 delta2 : nat -> R) j :
  has_gradient n2 g (layer n1 W2 b2 (act z1)) delta2 -> (j < n1)%nat ->
  is_derive (fun t => g (layer n1 W2 b2 (act (upd z1 j t)))) (z1 j)
            (delta1 n2 W2 delta2 z1 j).
Proof.
  intros Hg Hj. unfold delta1. rewrite Rmult_comm.
  apply (is_derive_ext
           (fun t => g (fun i => layer n1 W2 b2 (act z1) i
                                 + (sigma t - sigma (z1 j)) * W2 i j))).
  { intros t. apply g_respects. intros i _. unfold layer, act.
    rewrite (fsum_upd_map n1 (W2 i) sigma z1 j t Hj). ring. }
  apply (line_derivative _ _ (fun i => W2 i j) (fun t => sigma t - sigma (z1 j)));
    [exact Hg|ring|].
  rewrite <- (Rplus_0_r (sigma' (z1 j))).
  apply is_derive_Rplus; [apply sigma'_is_derivative|apply is_derive_const_R].
Qed.

(** From here on, a fixed network and input. *)
Variables (W1 : nat -> nat -> R) (b1 : nat -> R)
          (W2 : nat -> nat -> R) (b2 : nat -> R) (x : nat -> R).

Let z1 := layer n0 W1 b1 x.
Let a1 := act z1.
Let z2 := layer n1 W2 b2 a1.

Variable delta2 : nat -> R.
Hypothesis output_gradient : has_gradient n2 g z2 delta2.

(** BP3, output layer: [dC/db^2_j = delta^2_j]. *)
Theorem bp3_output_bias j :
  (j < n2)%nat ->
  is_derive (fun t => net_cost n0 n1 g W1 b1 W2 (upd b2 j t) x) (b2 j)
            (delta2 j).
Proof.
  intros Hj.
  apply (is_derive_ext (fun t => g (fun i => z2 i + (t - b2 j) * kron i j))).
  { intros t. apply g_respects. intros i _. unfold net_cost, z2, a1, z1, layer.
    rewrite upd_as_shift. ring. }
  rewrite <- (Rmult_1_l (delta2 j)), <- (fsum_kron n2 j delta2 Hj).
  apply line_derivative; [exact output_gradient|ring|].
  auto_derive; [exact I|ring].
Qed.

(** BP4, output layer: [dC/dW^2_jk = delta^2_j a^1_k]. *)
Theorem bp4_output_weight j k :
  (j < n2)%nat -> (k < n1)%nat ->
  is_derive (fun t => net_cost n0 n1 g W1 b1 (upd2 W2 j k t) b2 x) (W2 j k)
            (delta2 j * a1 k).
Proof.
  intros Hj Hk.
  apply (is_derive_ext
           (fun t => g (fun i => z2 i + (t - W2 j k) * (a1 k * kron i j)))).
  { intros t. apply g_respects. intros i _.
    unfold net_cost, z2, a1, z1, layer, upd2, kron.
    destruct (Nat.eqb i j) eqn:E.
    - apply Nat.eqb_eq in E. subst i. rewrite fsum_upd_dot by exact Hk. ring.
    - ring. }
  replace (delta2 j * a1 k) with (1 * fsum n2 (fun i => a1 k * kron i j * delta2 i)).
  - apply line_derivative; [exact output_gradient|ring|].
    auto_derive; [exact I|ring].
  - rewrite (fsum_ext _ _ (fun i => kron i j * (a1 k * delta2 i)))
      by (intros; ring).
    rewrite fsum_kron by exact Hj. ring.
Qed.

(** The hidden error [delta^1] of this network. *)
Let d1 := delta1 n2 W2 delta2 z1.

(** Moving one parameter of the first layer moves only [z^1_j], along an
    affine path [u]: the cost is the cost of [upd z1 j (u t)]. *)
Lemma first_layer_path j (u : R -> R) (t0 du : R) (C : R -> R) :
  (j < n1)%nat -> u t0 = z1 j -> is_derive u t0 du ->
  (forall t, g (layer n1 W2 b2 (act (upd z1 j (u t)))) = C t) ->
  is_derive C t0 (du * d1 j).
Proof.
  intros Hj Hu0 Hu HC.
  apply (is_derive_ext _ _ _ _ HC).
  apply (is_derive_Rcomp (fun s => g (layer n1 W2 b2 (act (upd z1 j s)))) u t0);
    [|exact Hu].
  rewrite Hu0. apply bp2_hidden_error; [exact output_gradient|exact Hj].
Qed.

(** BP3, hidden layer: [dC/db^1_j = delta^1_j]. *)
Theorem bp3_hidden_bias j :
  (j < n1)%nat ->
  is_derive (fun t => net_cost n0 n1 g W1 (upd b1 j t) W2 b2 x) (b1 j) (d1 j).
Proof.
  intros Hj. rewrite <- (Rmult_1_l (d1 j)).
  apply (first_layer_path j (fun t => z1 j + (t - b1 j))); [exact Hj|ring| |].
  - auto_derive; [exact I|ring].
  - intros t. unfold net_cost. apply g_respects. intros i _.
    unfold layer at 1 2. apply Rplus_eq_compat_r. apply fsum_ext.
    intros r _. apply Rmult_eq_compat_l. unfold act.
    destruct (Nat.eq_dec r j) as [->|Hne].
    + rewrite upd_same. unfold z1, layer. rewrite upd_same. f_equal. ring.
    + rewrite upd_other by exact Hne. unfold z1, layer.
      rewrite upd_other by exact Hne. reflexivity.
Qed.

(** BP4, hidden layer: [dC/dW^1_jk = delta^1_j x_k]. *)
Theorem bp4_hidden_weight j k :
  (j < n1)%nat -> (k < n0)%nat ->
  is_derive (fun t => net_cost n0 n1 g (upd2 W1 j k t) b1 W2 b2 x) (W1 j k)
            (d1 j * x k).
Proof.
  intros Hj Hk. rewrite Rmult_comm.
  apply (first_layer_path j (fun t => z1 j + (t - W1 j k) * x k));
    [exact Hj|ring| |].
  - auto_derive; [exact I|ring].
  - intros t. unfold net_cost. apply g_respects. intros i _.
    unfold layer at 1 2. apply Rplus_eq_compat_r. apply fsum_ext.
    intros r _. apply Rmult_eq_compat_l. unfold act.
    destruct (Nat.eq_dec r j) as [->|Hne].
    + rewrite upd_same. unfold z1, layer, upd2. rewrite Nat.eqb_refl.
      rewrite fsum_upd_dot by exact Hk. f_equal. ring.
    + rewrite upd_other by exact Hne. unfold z1, layer, upd2.
      apply Nat.eqb_neq in Hne. rewrite Hne. reflexivity.
Qed.

(** Sparse inputs: where [x_k = 0] the BP4 gradient [dC/dW^1_jk] is 0, so the
    gradient step leaves column [k] of [W^1] alone (but for the decay), and
    [z^1 = W^1 x + b^1] needs only the columns of the non-zero inputs: the
    sparse step of src/sparse.c. *)
Corollary bp4_hidden_weight_zero_input j k :
  (j < n1)%nat -> (k < n0)%nat -> x k = 0 ->
  is_derive (fun t => net_cost n0 n1 g (upd2 W1 j k t) b1 W2 b2 x) (W1 j k) 0.
Proof.
  intros Hj Hk H0.
  pose proof (bp4_hidden_weight j k Hj Hk) as H.
  rewrite H0, Rmult_0_r in H. exact H.
Qed.

End TwoLayer.

(** A concrete instance: cross-entropy with sigmoid outputs
    ([delta^2 = a^2 - y], eq. 66), first-layer weight gradient
    [dC/dW^1_jk = (sum_i W^2_ij (a^2_i - y_i)) sigma'(z^1_j) x_k]. *)
Corollary backprop_xent_hidden_weight n0 n1 n2 W1 b1 W2 b2 x (y : nat -> R) j k :
  (j < n1)%nat -> (k < n0)%nat ->
  let z1 := layer n0 W1 b1 x in
  let z2 := layer n1 W2 b2 (act z1) in
  is_derive (fun t => net_cost n0 n1 (cost_xent_sigmoid n2 y)
                        (upd2 W1 j k t) b1 W2 b2 x) (W1 j k)
            (fsum n2 (fun i => W2 i j * (sigma (z2 i) - y i))
             * sigma' (z1 j) * x k).
Proof.
  intros Hj Hk z1 z2.
  apply (bp4_hidden_weight n0 n1 n2 (cost_xent_sigmoid n2 y)); [| |exact Hj|exact Hk].
  - intros u v H. unfold cost_xent_sigmoid. apply fsum_ext. intros i Hi.
    now rewrite H.
  - apply output_error_xent_sigmoid.
Qed.

(** Mini-batch: the derivative of the mean of [N] per-sample costs is the
    mean of their derivatives (the column mean of the batch gradient). *)
Theorem minibatch_gradient_is_mean (N : nat) (C : nat -> R -> R) (d : nat -> R)
  (p : R) :
  (forall s, (s < N)%nat -> is_derive (C s) p (d s)) ->
  is_derive (fun t => / INR N * fsum N (fun s => C s t)) p
            (/ INR N * fsum N d).
Proof.
  intros H. apply is_derive_Rscal. apply is_derive_fsum. exact H.
Qed.
