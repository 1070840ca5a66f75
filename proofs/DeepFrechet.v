(** * DeepFrechet: the total cost is Frechet differentiable in all parameters

    For the sigmoid network of Deep.v, any depth [L >= 1] and any widths,
    with the parameters laid out in one vector as in Joint.v ([Wof], [bof],
    [nparams]): if the cost [g] of [z^L] has a [has_grad] gradient [G z] at
    every [z] and [z |-> G z] is continuous at the network's [z^L], then
    [par |-> g (z^L (par))] has at [p0] the Frechet gradient
    [flat_grad p0 (G (z^L))], whose entries are the BP3/BP4 values
    [delta^l_j a^{l-1}_k] and [delta^l_j] ([flat_grad_entry], Joint.v)
    ([backprop_frechet]).  Proof: [backprop_flat_gradient] at every
    parameter vector, plus continuity of [flat_grad] in the parameters (by
    induction over the layers, forward for [z^l] ([zfb_cont]), backward for
    [delta^l] ([dback_cont])), into the C^1 criterion [c1_has_grad_frechet]
    (Frechet.v).  Every cost row qualifies: [backprop_frechet_quad_sigmoid],
    [backprop_frechet_quad_linear], [backprop_frechet_xent_sigmoid],
    [backprop_frechet_loglik_soft].
    C: [gp_backprop_batch], [gp_total_gradient] (src/backprop.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient Frechet Softmax OutputError Stable
  Deep Joint.
Open Scope R_scope.

Lemma ex_derive_R_continuous (f : R -> R) z : ex_derive f z -> continuous f z.
Proof. apply (@ex_derive_continuous R_AbsRing R_NormedModule). Qed.

Lemma sigma_continuous z : continuous sigma z.
Proof. apply ex_derive_R_continuous. eexists. apply sigma'_is_derivative. Qed.

Lemma sigma'_continuous z : continuous sigma' z.
Proof.
  apply ex_derive_R_continuous. unfold sigma', sigma.
  pose proof (one_plus_exp_pos (- z)). auto_derive. repeat split; intros E; lra.
Qed.

Lemma cont_at_minus n F G z :
  cont_at n F z -> cont_at n G z -> cont_at n (fun y => F y - G y) z.
Proof.
  intros HF HG. apply (cont_at_ext n (fun y => F y + -1 * G y)); [intros; ring|].
  apply cont_at_plus; [exact HF|apply cont_at_mult; [apply cont_at_const|exact HG]].
Qed.

Section Cont.

Variables (sz : nat -> nat) (x : nat -> R) (L : nat) (p0 : nat -> R).

Lemma Wof_cont l j k : cont_at (nparams sz L) (fun p => Wof sz L p l j k) p0.
Proof.
  unfold Wof. destruct l as [|q]; [apply cont_at_const|].
  destruct ((q <? L) && (j <? sz (S q)) && (k <? sz q))%bool eqn:E; [|apply cont_at_const].
  apply andb3_true in E. destruct E as [E1 [E2 E3]]. apply Nat.ltb_lt in E1, E2, E3.
  apply cont_at_coord, pidx_lt; lia.
Qed.

Lemma bof_cont l j : cont_at (nparams sz L) (fun p => bof sz L p l j) p0.
Proof.
  unfold bof. destruct l as [|q]; [apply cont_at_const|].
  destruct ((q <? L) && (j <? sz (S q)))%bool eqn:E; [|apply cont_at_const].
  apply andb2_true in E. destruct E as [E1 E2]. apply Nat.ltb_lt in E1, E2.
  apply cont_at_coord, pidx_lt; lia.
Qed.

(** [z^l_j] is continuous in the parameters (forward induction). *)
Lemma zfb_cont l j :
  cont_at (nparams sz L) (fun p => zfb sz x (Wof sz L p) (bof sz L p) l j) p0.
Proof.
  revert j. induction l as [|q IH]; intros j; [apply cont_at_const|].
  apply (cont_at_ext _ (fun p => fsum (sz q) (fun k => Wof sz L p (S q) j k
           * ain sz x (Wof sz L p) (bof sz L p) q k) + bof sz L p (S q) j));
    [intros; reflexivity|].
  apply cont_at_plus; [|apply bof_cont].
  apply cont_at_fsum. intros k _. apply cont_at_mult; [apply Wof_cont|].
  destruct q as [|q']; [apply cont_at_const|].
  apply (cont_at_Rcomp _ sigma); [apply sigma_continuous|apply IH].
Qed.

Lemma ain_cont q k :
  cont_at (nparams sz L) (fun p => ain sz x (Wof sz L p) (bof sz L p) q k) p0.
Proof.
  destruct q as [|q]; [apply cont_at_const|].
  apply (cont_at_Rcomp _ sigma); [apply sigma_continuous|apply zfb_cont].
Qed.

Variables (G : (nat -> R) -> nat -> R).
Hypothesis HG : forall j, (j < sz L)%nat ->
  cont_at (sz L) (fun z => G z j) (zfb sz x (Wof sz L p0) (bof sz L p0) L).

(** [delta^l_j] is continuous in the parameters (backward induction). *)
Lemma dback_cont k : forall l j, (l + k = L)%nat -> (j < sz l)%nat ->
  cont_at (nparams sz L) (fun p => dback sz (bof sz L p) x (Wof sz L p)
    (G (zfb sz x (Wof sz L p) (bof sz L p) L)) k l j) p0.
Proof.
  induction k as [|k IH]; intros l j Hl Hj.
  - simpl. rewrite Nat.add_0_r in Hl. subst l.
    apply (cont_at_vcomp _ (sz L) (fun z => G z j)
             (fun p => zfb sz x (Wof sz L p) (bof sz L p) L)); [apply HG, Hj|].
    intros i _. apply zfb_cont.
  - simpl. unfold delta1. apply cont_at_mult.
    + apply cont_at_fsum. intros i Hi. apply cont_at_mult; [apply Wof_cont|apply IH; lia].
    + apply (cont_at_Rcomp _ sigma'); [apply sigma'_continuous|apply zfb_cont].
Qed.

(** The total cost of a depth-[L] sigmoid network is Frechet differentiable
    in all its parameters jointly, with the BP3/BP4 array as gradient. *)
Theorem backprop_frechet (g : (nat -> R) -> R) :
  (1 <= L)%nat -> (forall z, has_grad (sz L) g z (G z)) ->
  frechet (nparams sz L) (fun par => g (zfb sz x (Wof sz L par) (bof sz L par) L)) p0
          (flat_grad sz x L p0 (G (zfb sz x (Wof sz L p0) (bof sz L p0) L))).
Proof.
  intros HL Hg.
  apply (c1_has_grad_frechet _ _ p0
           (fun p => flat_grad sz x L p (G (zfb sz x (Wof sz L p) (bof sz L p) L))) 1);
    [lra| |].
  - intros y _. apply backprop_flat_gradient; [exact HL|apply Hg].
  - intros i _. unfold flat_grad. apply cont_at_fsum. intros q Hq.
    apply cont_at_fsum. intros j Hj. apply cont_at_fsum. intros k Hk.
    apply cont_at_mult; [apply cont_at_const|]. unfold gval, delta.
    destruct (k <? sz q)%nat.
    + apply cont_at_mult; [apply dback_cont; lia|apply ain_cont].
    + apply dback_cont; lia.
Qed.

End Cont.

(** ** Every cost row *)

Lemma cont_at_entry n (f : R -> R) j z :
  (j < n)%nat -> (forall t, continuous f t) -> cont_at n (fun y => f (y j)) z.
Proof. intros Hj Hf. apply (cont_at_Rcomp n f); [apply Hf|apply cont_at_coord, Hj]. Qed.

Corollary backprop_frechet_quad_sigmoid sz x L y p0 :
  (1 <= L)%nat ->
  frechet (nparams sz L)
    (fun par => cost_quad_sigmoid (sz L) y (zfb sz x (Wof sz L par) (bof sz L par) L)) p0
    (flat_grad sz x L p0 (delta_quad_sigmoid y (zfb sz x (Wof sz L p0) (bof sz L p0) L))).
Proof.
  intros HL. apply backprop_frechet; [|exact HL|apply output_grad_quad_sigmoid].
  intros j Hj. unfold delta_quad_sigmoid. apply cont_at_mult.
  - apply cont_at_minus; [apply cont_at_entry; [exact Hj|apply sigma_continuous]|].
    apply cont_at_const.
  - apply cont_at_entry; [exact Hj|apply sigma'_continuous].
Qed.

Corollary backprop_frechet_quad_linear sz x L y p0 :
  (1 <= L)%nat ->
  frechet (nparams sz L)
    (fun par => cost_quad_linear (sz L) y (zfb sz x (Wof sz L par) (bof sz L par) L)) p0
    (flat_grad sz x L p0 (delta_quad_linear y (zfb sz x (Wof sz L p0) (bof sz L p0) L))).
Proof.
  intros HL. apply backprop_frechet; [|exact HL|apply output_grad_quad_linear].
  intros j Hj. unfold delta_quad_linear.
  apply cont_at_minus; [apply cont_at_coord, Hj|apply cont_at_const].
Qed.

Corollary backprop_frechet_xent_sigmoid sz x L y p0 :
  (1 <= L)%nat ->
  frechet (nparams sz L)
    (fun par => cost_xent_sigmoid (sz L) y (zfb sz x (Wof sz L par) (bof sz L par) L)) p0
    (flat_grad sz x L p0 (delta_xent_sigmoid y (zfb sz x (Wof sz L p0) (bof sz L p0) L))).
Proof.
  intros HL. apply backprop_frechet; [|exact HL|apply output_grad_xent_sigmoid].
  intros j Hj. unfold delta_xent_sigmoid.
  apply cont_at_minus; [apply cont_at_entry; [exact Hj|apply sigma_continuous]|].
  apply cont_at_const.
Qed.

(** Softmax is continuous: [e^{z_j}] over a positive sum of [e^{z_k}]. *)
Lemma softmax_cont n j z :
  (1 <= n)%nat -> (j < n)%nat -> cont_at n (fun u => softmax n u j) z.
Proof.
  intros Hn Hj. unfold softmax, Rdiv. apply cont_at_mult.
  - apply cont_at_entry; [exact Hj|]. intros t. apply ex_derive_R_continuous. auto_derive. exact I.
  - apply (cont_at_Rcomp n Rinv).
    + apply ex_derive_R_continuous. pose proof (softmax_denom_pos n z Hn).
      auto_derive. intros E; lra.
    + unfold softmax_denom. apply cont_at_fsum. intros k Hk.
      apply cont_at_entry; [exact Hk|]. intros t. apply ex_derive_R_continuous.
      auto_derive. exact I.
Qed.

Corollary backprop_frechet_loglik_soft sz x L y p0 :
  (1 <= L)%nat -> (1 <= sz L)%nat -> fsum (sz L) y = 1 ->
  frechet (nparams sz L)
    (fun par => cost_loglik_soft (sz L) y (zfb sz x (Wof sz L par) (bof sz L par) L)) p0
    (flat_grad sz x L p0
       (fun j => softmax (sz L) (zfb sz x (Wof sz L p0) (bof sz L p0) L) j - y j)).
Proof.
  intros HL Hn Hy.
  apply (backprop_frechet sz x L p0 (fun z j => softmax (sz L) z j - y j)); [|exact HL|].
  - intros j Hj. apply cont_at_minus; [apply softmax_cont; assumption|apply cont_at_const].
  - intros z. apply output_grad_loglik_soft; assumption.
Qed.
