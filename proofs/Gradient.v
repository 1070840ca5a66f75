(** * Gradient: a gradient that composes (derivative along every curve)

    [has_grad n g z d] says that [d] is the gradient of [g] at [z] in the
    sense that survives composition: along EVERY curve [c] through [z] whose
    coordinates are differentiable at [t0] (not only straight lines), the
    derivative of [t |-> g (c t)] at [t0] is [sum_i c_i'(t0) d_i].  This is
    the curve form of Hadamard differentiability, which in finite dimension
    is Frechet differentiability (textbook analysis, cited, not proved
    here; the C^1 case is Frechet.v's [c1_has_grad_frechet]); what is used is that it is the hypothesis the chain rule needs,
    and the chain rule becomes Coquelicot's one-variable [is_derive_comp]
    plus a finite-sum exchange.

    - [has_grad_partial]: it gives every partial derivative.
    - [has_grad_gateaux]: it gives every directional derivative
      ([has_gradient] of Common.v, the weaker straight-line notion).
    - [gateaux_is_not_has_grad]: the weaker notion holds at 0 for the
      indicator of the punctured parabola [u1 = u0^2], which is not even
      continuous there, and [has_grad] rejects it for every [d].
    - [has_grad_sigmoid_layer], [has_grad_act]: the chain rule through one
      sigmoid layer [z |-> W sigma(z) + b] and through [sigma] alone. *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid.
Open Scope R_scope.

Definition has_grad (n : nat) (g : (nat -> R) -> R) (z d : nat -> R) : Prop :=
  forall (c : R -> nat -> R) (dc : nat -> R) (t0 : R),
    (forall i, (i < n)%nat -> c t0 i = z i) ->
    (forall i, (i < n)%nat -> is_derive (fun t => c t i) t0 (dc i)) ->
    is_derive (fun t => g (c t)) t0 (fsum n (fun i => dc i * d i)).

Lemma is_derive_eq (f : R -> R) (x l l' : R) :
  is_derive f x l -> l = l' -> is_derive f x l'.
Proof. intros H ->. exact H. Qed.

Lemma fsum_swap n m (f : nat -> nat -> R) :
  fsum n (fun i => fsum m (fun k => f i k)) =
  fsum m (fun k => fsum n (fun i => f i k)).
Proof.
  induction n as [|n IH]; simpl.
  - rewrite fsum_zero. reflexivity.
  - rewrite IH, <- fsum_plus. reflexivity.
Qed.

(** A gradient gives every partial derivative [dg/dz_k = d_k]. *)
Theorem has_grad_partial n g z d k :
  has_grad n g z d -> (k < n)%nat ->
  is_derive (fun t => g (upd z k t)) (z k) (d k).
Proof.
  intros Hg Hk.
  apply (is_derive_eq _ _ (fsum n (fun i => kron i k * d i))).
  - apply (Hg (fun t => upd z k t) (fun i => kron i k) (z k)).
    + intros i _. apply upd_self.
    + intros i _. unfold upd, kron. destruct (Nat.eqb i k);
        auto_derive; try exact I; ring.
  - apply fsum_kron, Hk.
Qed.

(** ... and every directional derivative (the straight-line notion). *)
Theorem has_grad_gateaux n g z d :
  has_grad n g z d -> has_gradient n g z d.
Proof.
  intros Hg v. apply (Hg (fun s i => z i + s * v i) v 0).
  - intros i _. ring.
  - intros i _. auto_derive; [exact I|ring].
Qed.

(** ** The punctured parabola: straight lines are not enough *)

(** 1 on [u1 = u0^2] with [u0 <> 0], 0 elsewhere. *)
Definition parabola_indicator (u : nat -> R) : R :=
  if Req_EM_T (u 0%nat) 0 then 0
  else if Req_EM_T (u 1%nat) (u 0%nat ^ 2) then 1 else 0.

Lemma sq_pos x : x <> 0 -> 0 < x ^ 2.
Proof. intros H. apply Rlt_0_sqr in H. unfold Rsqr in H. simpl. lra. Qed.

Lemma parabola_line_zero (v : nat -> R) :
  locally 0 (fun s => 0 = parabola_indicator (fun i => 0 + s * v i)).
Proof.
  unfold parabola_indicator.
  destruct (Req_EM_T (v 0%nat) 0) as [H0|H0].
  - exists (mkposreal 1 Rlt_0_1). intros s _.
    destruct (Req_EM_T _ 0) as [|N]; [reflexivity|]. exfalso. apply N.
    rewrite H0. ring.
  - destruct (Req_EM_T (v 1%nat) 0) as [H1|H1].
    + exists (mkposreal 1 Rlt_0_1). intros s _.
      destruct (Req_EM_T _ 0) as [|N]; [reflexivity|].
      destruct (Req_EM_T _ _) as [E|]; [|reflexivity]. exfalso.
      rewrite H1 in E. apply N. simpl in E. nra.
    + assert (P : 0 < Rabs (v 1%nat) / (v 0%nat ^ 2)).
      { apply Rdiv_lt_0_compat; [apply Rabs_pos_lt, H1|apply sq_pos, H0]. }
      exists (mkposreal _ P). intros s Hs. simpl in Hs.
      unfold ball in Hs. simpl in Hs. unfold AbsRing_ball, abs, minus, plus, opp in Hs.
      simpl in Hs. rewrite Ropp_0, Rplus_0_r in Hs.
      destruct (Req_EM_T _ 0) as [|N]; [reflexivity|].
      destruct (Req_EM_T _ _) as [E|]; [|reflexivity]. exfalso.
      assert (Hs0 : s <> 0) by (intros ->; apply N; ring).
      assert (E' : v 1%nat = s * v 0%nat ^ 2).
      { apply (Rmult_eq_reg_l s); [|exact Hs0]. lra. }
      assert (Q : 0 < v 0%nat ^ 2) by (apply sq_pos, H0).
      apply (Rmult_lt_compat_r (v 0%nat ^ 2)) in Hs; [|exact Q].
      unfold Rdiv in Hs. rewrite Rmult_assoc, Rinv_l in Hs by lra.
      rewrite E', Rabs_mult, (Rabs_pos_eq (v 0%nat ^ 2)) in Hs by lra.
      lra.
Qed.

(** Along the parabola [t |-> (t, t^2)] the indicator is 1 except at 0. *)
Lemma parabola_curve_jump t :
  parabola_indicator (fun i => match i with O => t | _ => t ^ 2 end)
  = if Req_EM_T t 0 then 0 else 1.
Proof.
  unfold parabola_indicator. destruct (Req_EM_T t 0); [reflexivity|].
  destruct (Req_EM_T (t ^ 2) (t ^ 2)); [reflexivity|congruence].
Qed.

(** The straight-line notion accepts a discontinuous function; the curve
    notion rejects it, for every candidate gradient [d]. *)
Theorem gateaux_is_not_has_grad :
  has_gradient 2 parabola_indicator (fun _ => 0) (fun _ => 0) /\
  forall d, ~ has_grad 2 parabola_indicator (fun _ => 0) d.
Proof.
  split.
  - intros v. apply (is_derive_ext_loc (fun _ => 0)).
    + apply parabola_line_zero.
    + apply (is_derive_eq _ _ 0); [apply is_derive_const_R|].
      simpl. ring.
  - intros d Hg.
    set (c := fun (t : R) (i : nat) => match i with O => t | _ => t ^ 2 end).
    assert (H : is_derive (fun t => parabola_indicator (c t)) 0
                  (fsum 2 (fun i => (match i with O => 1 | _ => 0 end) * d i))).
    { apply Hg.
      - intros i Hi. unfold c. destruct i; simpl; ring.
      - intros i Hi. unfold c. destruct i; auto_derive; try exact I; ring. }
    apply is_derive_Reals in H.
    assert (Cont : continuity_pt (fun t => parabola_indicator (c t)) 0).
    { apply derivable_continuous_pt. exists (fsum 2 (fun i => (match i with O => 1 | _ => 0 end) * d i)).
      exact H. }
    destruct (Cont (/ 2) ltac:(lra)) as [del [Hdel Hcl]].
    specialize (Hcl (del / 2)).
    unfold c in Hcl. rewrite !parabola_curve_jump in Hcl.
    destruct (Req_EM_T 0 0) as [_|N]; [|congruence].
    destruct (Req_EM_T (del / 2) 0) as [E|_]; [lra|].
    assert (R1 : R_dist (del / 2) 0 < del).
    { unfold R_dist. rewrite Rminus_0_r, Rabs_pos_eq by lra. lra. }
    assert (HD : D_x no_cond 0 (del / 2)).
    { split; [exact I|intros E; lra]. }
    specialize (Hcl (conj HD R1)). simpl in Hcl. unfold R_dist in Hcl.
    replace (1 - 0) with 1 in Hcl by ring. rewrite Rabs_R1 in Hcl. lra.
Qed.

(** ** The chain rule through one layer *)

(** [layer m W b a] is [W a + b]; [act] applies [sigma] entrywise. *)
Definition layer (m : nat) (W : nat -> nat -> R) (b a : nat -> R) : nat -> R :=
  fun j => fsum m (fun k => W j k * a k) + b j.

Definition act (z : nat -> R) : nat -> R := fun j => sigma (z j).

(** BP2's vector: [((W)^T d) (.) sigma'(z)]. *)
Definition delta1 (n2 : nat) (W2 : nat -> nat -> R) (delta2 z1 : nat -> R)
  (j : nat) : R :=
  fsum n2 (fun i => W2 i j * delta2 i) * sigma' (z1 j).

(** [sigma] along a curve. *)
Lemma is_derive_sigma_curve (c : R -> nat -> R) t0 k dk :
  is_derive (fun t => c t k) t0 dk ->
  is_derive (fun t => sigma (c t k)) t0 (sigma' (c t0 k) * dk).
Proof.
  intros H. rewrite Rmult_comm.
  apply (is_derive_Rcomp sigma (fun t => c t k)); [apply sigma'_is_derivative|exact H].
Qed.

(** BP1 for any cost [C] of the activations: if [C] has gradient [ga] at
    [a = sigma(z)], then [z |-> C (sigma z)] has gradient [ga (.) sigma'(z)]. *)
Theorem has_grad_act n (C : (nat -> R) -> R) z ga :
  has_grad n C (act z) ga ->
  has_grad n (fun u => C (act u)) z (fun j => ga j * sigma' (z j)).
Proof.
  intros HC c dc t0 Hc0 Hdc.
  apply (is_derive_eq _ _ (fsum n (fun i => (sigma' (z i) * dc i) * ga i))).
  - apply (HC (fun t => act (c t))).
    + intros i Hi. unfold act. rewrite Hc0 by exact Hi. reflexivity.
    + intros i Hi. unfold act. rewrite <- (Hc0 i Hi).
      apply is_derive_sigma_curve, Hdc, Hi.
  - apply fsum_ext. intros i _. ring.
Qed.

(** BP2 as a chain rule: if [h] has gradient [d] at [W sigma(z) + b], then
    [u |-> h (W sigma(u) + b)] has gradient [((W)^T d) (.) sigma'(z)] at [z]. *)
Theorem has_grad_sigmoid_layer n1 n2 (h : (nat -> R) -> R) W b z d :
  has_grad n2 h (layer n1 W b (act z)) d ->
  has_grad n1 (fun u => h (layer n1 W b (act u))) z (delta1 n2 W d z).
Proof.
  intros Hh c dc t0 Hc0 Hdc.
  apply (is_derive_eq _ _
    (fsum n2 (fun i => fsum n1 (fun k => W i k * (sigma' (z k) * dc k)) * d i))).
  - apply (Hh (fun t => layer n1 W b (act (c t)))).
    + intros i _. unfold layer, act. f_equal. apply fsum_ext.
      intros k Hk. rewrite Hc0 by exact Hk. reflexivity.
    + intros i _. unfold layer, act.
      apply (is_derive_eq _ _ (fsum n1 (fun k => W i k * (sigma' (z k) * dc k)) + 0)).
      * apply is_derive_Rplus; [|apply is_derive_const_R].
        apply is_derive_fsum. intros k Hk. apply is_derive_Rscal.
        rewrite <- (Hc0 k Hk). apply is_derive_sigma_curve, Hdc, Hk.
      * ring.
  - unfold delta1.
    rewrite (fsum_ext n2 _ (fun i => fsum n1 (fun k => W i k * (sigma' (z k) * dc k) * d i)))
      by (intros; rewrite fsum_scal_r; reflexivity).
    rewrite fsum_swap. apply fsum_ext. intros k _.
    rewrite <- fsum_scal_r, <- fsum_scal_l. apply fsum_ext. intros i _. ring.
Qed.

(** A cost that is a sum of one term per output has, as gradient, the vector
    of the terms' derivatives. *)
Theorem separable_has_grad n (c : nat -> R -> R) (z d : nat -> R) :
  (forall i, (i < n)%nat -> is_derive (c i) (z i) (d i)) ->
  has_grad n (fun u => fsum n (fun i => c i (u i))) z d.
Proof.
  intros H cv dc t0 Hc0 Hdc. apply is_derive_fsum. intros i Hi.
  apply (is_derive_Rcomp (c i) (fun t => cv t i)); [|apply Hdc, Hi].
  rewrite Hc0 by exact Hi. apply H, Hi.
Qed.
