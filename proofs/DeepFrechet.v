(** * DeepFrechet: the total cost is Frechet differentiable in all parameters

    A network of any depth [L >= 1] and any widths, with hidden activation
    [f l] at layer [l] (Activations.v's network) that is C^1: differentiable
    everywhere with a continuous derivative [df l] ([c1_act]; sigmoid, tanh,
    softplus and the identity qualify: [c1_act_sigmoid], [c1_act_tanh],
    [c1_act_softplus], [c1_act_identity]).  The parameters are laid out in
    one vector as in Joint.v ([Wof], [bof], [nparams]).  If the cost [g] of
    [z^L] has a [has_grad] gradient [G z] at every [z] and [z |-> G z] is
    continuous at the network's [z^L], then [par |-> g (z^L (par))] has at
    [p0] the Frechet gradient [flat (gvalg p0 (G (z^L)))], whose entries are
    the BP3/BP4 values [delta^l_j a^{l-1}_k] and [delta^l_j] ([flat_entry],
    Joint.v) ([backprop_frechet_any]; [backprop_frechet] for the sigmoid
    network of Deep.v).  Proof: [backprop_flat_gradient_any] at every
    parameter vector, plus continuity of that gradient in the parameters, by
    induction over the layers, forward for [z^l] ([zg_cont]) and backward for
    [delta^l] ([dbackg_cont]), into the C^1 criterion [c1_has_grad_frechet]
    (Frechet.v).  Every cost row qualifies: [backprop_frechet_quad_sigmoid],
    [backprop_frechet_quad_linear], [backprop_frechet_xent_sigmoid],
    [backprop_frechet_loglik_soft].
    C: [gp_backprop_batch], [gp_total_gradient] (src/backprop.c). *)

From Coq Require Import Reals Lra Lia FunctionalExtensionality.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient Frechet Softmax OutputError Stable
  Deep Activations Joint.
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

(** ** C^1 activations *)

(** [f] is differentiable everywhere, with a continuous derivative [df]. *)
Definition c1_act (f df : R -> R) : Prop :=
  (forall t, is_derive f t (df t)) /\ (forall t, continuous df t).

Lemma c1_act_sigmoid : c1_act sigma sigma'.
Proof. split; [apply sigma'_is_derivative|apply sigma'_continuous]. Qed.

Lemma c1_act_tanh : c1_act tanh (fun t => 1 - tanh t ^ 2).
Proof.
  split; [apply tanh_derivative|]. intros t. apply ex_derive_R_continuous.
  eexists. apply (is_derive_Rcomp (fun u => 1 - u ^ 2) tanh t);
    [auto_derive; [exact I|reflexivity]|apply tanh_derivative].
Qed.

Lemma c1_act_softplus : c1_act softplus sigma.
Proof. split; [apply softplus_derivative|apply sigma_continuous]. Qed.

Lemma c1_act_identity : c1_act (fun t => t) (fun _ => 1).
Proof.
  split; [apply identity_derivative|]. intros t. apply ex_derive_R_continuous.
  eexists. apply is_derive_const_R.
Qed.

Lemma cont_at_minus n F G z :
  cont_at n F z -> cont_at n G z -> cont_at n (fun y => F y - G y) z.
Proof.
  intros HF HG. apply (cont_at_ext n (fun y => F y + -1 * G y)); [intros; ring|].
  apply cont_at_plus; [exact HF|apply cont_at_mult; [apply cont_at_const|exact HG]].
Qed.

(** ** Continuity of the BP3/BP4 array in the parameters *)

Section Cont.

Variables (sz : nat -> nat) (f df : nat -> R -> R) (x : nat -> R) (L : nat) (p0 : nat -> R).
Hypothesis Hf : forall l, c1_act (f l) (df l).

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
Lemma zg_cont l j :
  cont_at (nparams sz L) (fun p => zg sz f x (Wof sz L p) (bof sz L p) l j) p0.
Proof.
  revert j. induction l as [|q IH]; intros j; [apply cont_at_const|].
  apply (cont_at_ext _ (fun p => fsum (sz q) (fun k => Wof sz L p (S q) j k
           * ag sz f x (Wof sz L p) (bof sz L p) q k) + bof sz L p (S q) j));
    [intros; reflexivity|].
  apply cont_at_plus; [|apply bof_cont].
  apply cont_at_fsum. intros k _. apply cont_at_mult; [apply Wof_cont|].
  destruct q as [|q']; [apply cont_at_const|].
  apply (cont_at_Rcomp _ (f (S q'))); [|apply IH].
  apply ex_derive_R_continuous. eexists. apply Hf.
Qed.

Lemma ag_cont q k :
  cont_at (nparams sz L) (fun p => ag sz f x (Wof sz L p) (bof sz L p) q k) p0.
Proof.
  destruct q as [|q]; [apply cont_at_const|].
  apply (cont_at_Rcomp _ (f (S q))); [|apply zg_cont].
  apply ex_derive_R_continuous. eexists. apply Hf.
Qed.

Variables (G : (nat -> R) -> nat -> R).
Hypothesis HG : forall j, (j < sz L)%nat ->
  cont_at (sz L) (fun z => G z j) (zg sz f x (Wof sz L p0) (bof sz L p0) L).

(** [delta^l_j] is continuous in the parameters (backward induction). *)
Lemma dbackg_cont k : forall l j, (l + k = L)%nat -> (j < sz l)%nat ->
  cont_at (nparams sz L) (fun p => dbackg sz f df (bof sz L p) x (Wof sz L p)
    (G (zg sz f x (Wof sz L p) (bof sz L p) L)) k l j) p0.
Proof.
  induction k as [|k IH]; intros l j Hl Hj.
  - simpl. rewrite Nat.add_0_r in Hl. subst l.
    apply (cont_at_vcomp _ (sz L) (fun z => G z j)
             (fun p => zg sz f x (Wof sz L p) (bof sz L p) L)); [apply HG, Hj|].
    intros i _. apply zg_cont.
  - simpl. unfold deltaf. apply cont_at_mult.
    + apply cont_at_fsum. intros i Hi. apply cont_at_mult; [apply Wof_cont|apply IH; lia].
    + apply (cont_at_Rcomp _ (df l)); [apply Hf|apply zg_cont].
Qed.

(** The total cost of a depth-[L] network with C^1 hidden activations is
    Frechet differentiable in all its parameters jointly, with the BP3/BP4
    array as gradient. *)
Theorem backprop_frechet_any (g : (nat -> R) -> R) :
  (1 <= L)%nat -> (forall z, has_grad (sz L) g z (G z)) ->
  frechet (nparams sz L) (fun par => g (zg sz f x (Wof sz L par) (bof sz L par) L)) p0
    (flat sz L (gvalg sz x L f df p0 (G (zg sz f x (Wof sz L p0) (bof sz L p0) L)))).
Proof.
  intros HL Hg.
  apply (c1_has_grad_frechet _ _ p0 (fun p => flat sz L
           (gvalg sz x L f df p (G (zg sz f x (Wof sz L p) (bof sz L p) L)))) 1); [lra| |].
  - intros y _. apply backprop_flat_gradient_any; [intros l t; apply Hf|exact HL|apply Hg].
  - intros i _. unfold flat. apply cont_at_fsum. intros q Hq.
    apply cont_at_fsum. intros j Hj. apply cont_at_fsum. intros k Hk.
    apply cont_at_mult; [apply cont_at_const|]. unfold gvalg, deltag.
    destruct (k <? sz q)%nat.
    + apply cont_at_mult; [apply dbackg_cont; lia|apply ag_cont].
    + apply dbackg_cont; lia.
Qed.

End Cont.

(** The sigmoid network of Deep.v, with Joint.v's [flat_grad]. *)
Theorem backprop_frechet sz x L p0 (G : (nat -> R) -> nat -> R) (g : (nat -> R) -> R) :
  (forall j, (j < sz L)%nat ->
     cont_at (sz L) (fun z => G z j) (zfb sz x (Wof sz L p0) (bof sz L p0) L)) ->
  (1 <= L)%nat -> (forall z, has_grad (sz L) g z (G z)) ->
  frechet (nparams sz L) (fun par => g (zfb sz x (Wof sz L par) (bof sz L par) L)) p0
          (flat_grad sz x L p0 (G (zfb sz x (Wof sz L p0) (bof sz L p0) L))).
Proof.
  intros HG HL Hg.
  replace (flat_grad sz x L p0 (G (zfb sz x (Wof sz L p0) (bof sz L p0) L)))
    with (flat sz L (gvalg sz x L (fun _ => sigma) (fun _ => sigma') p0
            (G (zg sz (fun _ => sigma) x (Wof sz L p0) (bof sz L p0) L)))).
  - rewrite <- (zg_sigmoid sz x (Wof sz L p0)) in HG.
    replace (fun par => g (zfb sz x (Wof sz L par) (bof sz L par) L))
      with (fun par => g (zg sz (fun _ => sigma) x (Wof sz L par) (bof sz L par) L))
      by (apply functional_extensionality; intros par; now rewrite zg_sigmoid).
    apply backprop_frechet_any; [intros; apply c1_act_sigmoid|exact HG|exact HL|exact Hg].
  - rewrite zg_sigmoid. unfold flat_grad. apply functional_extensionality. intros i.
    unfold flat. apply fsum_ext. intros q _. apply fsum_ext. intros j _.
    apply fsum_ext. intros k _. now rewrite gval_sigmoid.
Qed.

(** ** Every cost row, with any C^1 hidden activations *)

Lemma cont_at_entry n (f : R -> R) j z :
  (j < n)%nat -> (forall t, continuous f t) -> cont_at n (fun y => f (y j)) z.
Proof. intros Hj Hf. apply (cont_at_Rcomp n f); [apply Hf|apply cont_at_coord, Hj]. Qed.

(** An output error [f(z_j) - y_j] with [f] continuous. *)
Lemma cont_at_entry_minus n (f : R -> R) (y : nat -> R) j z :
  (j < n)%nat -> (forall t, continuous f t) -> cont_at n (fun u => f (u j) - y j) z.
Proof.
  intros Hj Hf. apply cont_at_minus; [apply cont_at_entry; assumption|apply cont_at_const].
Qed.

Section Rows.

Variables (sz : nat -> nat) (f df : nat -> R -> R) (x : nat -> R) (L : nat) (p0 : nat -> R).
Hypothesis Hf : forall l, c1_act (f l) (df l).
Hypothesis HL : (1 <= L)%nat.

Let zL (p : nat -> R) := zg sz f x (Wof sz L p) (bof sz L p) L.

Corollary backprop_frechet_quad_sigmoid y :
  frechet (nparams sz L) (fun par => cost_quad_sigmoid (sz L) y (zL par)) p0
    (flat sz L (gvalg sz x L f df p0 (delta_quad_sigmoid y (zL p0)))).
Proof.
  apply (backprop_frechet_any sz f df x L p0 Hf (delta_quad_sigmoid y));
    [|exact HL|apply output_grad_quad_sigmoid].
  intros j Hj. apply cont_at_mult; [apply cont_at_entry_minus|apply cont_at_entry];
    auto using sigma_continuous, sigma'_continuous.
Qed.

Corollary backprop_frechet_quad_linear y :
  frechet (nparams sz L) (fun par => cost_quad_linear (sz L) y (zL par)) p0
    (flat sz L (gvalg sz x L f df p0 (delta_quad_linear y (zL p0)))).
Proof.
  apply (backprop_frechet_any sz f df x L p0 Hf (delta_quad_linear y));
    [|exact HL|apply output_grad_quad_linear].
  intros j Hj. apply (cont_at_entry_minus _ (fun t => t)); [exact Hj|].
  intros t. apply ex_derive_R_continuous. auto_derive. exact I.
Qed.

Corollary backprop_frechet_xent_sigmoid y :
  frechet (nparams sz L) (fun par => cost_xent_sigmoid (sz L) y (zL par)) p0
    (flat sz L (gvalg sz x L f df p0 (delta_xent_sigmoid y (zL p0)))).
Proof.
  apply (backprop_frechet_any sz f df x L p0 Hf (delta_xent_sigmoid y));
    [|exact HL|apply output_grad_xent_sigmoid].
  intros j Hj. apply cont_at_entry_minus; [exact Hj|apply sigma_continuous].
Qed.

(** Softmax is continuous: [e^{z_j}] over a positive sum of [e^{z_k}]. *)
Lemma softmax_cont n j z :
  (1 <= n)%nat -> (j < n)%nat -> cont_at n (fun u => softmax n u j) z.
Proof.
  intros Hn Hj. unfold softmax, Rdiv. apply cont_at_mult.
  - apply cont_at_entry; [exact Hj|]. intros t. apply ex_derive_R_continuous.
    auto_derive. exact I.
  - apply (cont_at_Rcomp n Rinv).
    + apply ex_derive_R_continuous. pose proof (softmax_denom_pos n z Hn).
      auto_derive. intros E; lra.
    + unfold softmax_denom. apply cont_at_fsum. intros k Hk.
      apply cont_at_entry; [exact Hk|]. intros t. apply ex_derive_R_continuous.
      auto_derive. exact I.
Qed.

(** Log-likelihood with a soft target ([sum_j y_j = 1]; one-hot targets are
    the case [y = e_c], [loglik_one_hot_is_soft]). *)
Corollary backprop_frechet_loglik_soft y :
  (1 <= sz L)%nat -> fsum (sz L) y = 1 ->
  frechet (nparams sz L) (fun par => cost_loglik_soft (sz L) y (zL par)) p0
    (flat sz L (gvalg sz x L f df p0 (fun j => softmax (sz L) (zL p0) j - y j))).
Proof.
  intros Hn Hy.
  apply (backprop_frechet_any sz f df x L p0 Hf (fun z j => softmax (sz L) z j - y j));
    [|exact HL|].
  - intros j Hj. apply cont_at_minus; [apply softmax_cont; assumption|apply cont_at_const].
  - intros z. apply output_grad_loglik_soft; assumption.
Qed.

End Rows.
