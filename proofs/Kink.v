(** * Kink: the cost's one-sided derivatives along a unit sitting on its kink

    A hidden unit with the piecewise-linear activation [pl s1 s2] (ReLU is
    [pl 1 0], leaky ReLU [pl 1 alpha]) and pre-activation [z_j = 0] has no
    derivative there ([pl_no_derivative_at_0]), and neither need the cost.
    But the cost has both one-sided derivatives along that unit: on [t >= 0]
    the unit's output is [s1 t], on [t <= 0] it is [s2 t], and each branch
    is a differentiable curve into the layer above, so [has_grad] applies.
    - [kink_layer_one_sided]: if [h] has gradient [d] at [W pl(z) + b],
      then [t |-> h (W pl(upd z j t) + b)] has right derivative
      [((W)^T d)_j s1] and left derivative [((W)^T d)_j s2] at 0.
    - [kink_cost_one_sided]: the same for the total cost of a
      depth-[L] network (Activations.v's [zg]) along [z^l_j = 0], when every
      activation above layer [l] is differentiable at its [z^m_i].
    - [kink_code_delta_is_left]: the code's [f'(0) = s2] ([0] for ReLU,
      [alpha] for leaky ReLU) makes the backward pass's [delta^l_j] exactly
      the cost's left derivative along that unit.
    C: [gp_activation_lookup], [gp_activation_kink] (src/activation.c). *)

From Coq Require Import Reals Lra Lia FunctionalExtensionality.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient Activations.
Open Scope R_scope.

(** A function that agrees, on one side of 0 and at 0, with one that is
    differentiable at 0 has that one-sided derivative. *)
Lemma quotient_of_derive (side : R -> Prop) (F G : R -> R) D :
  (forall t, side t -> t <> 0) -> (forall t, side t -> F t = G t) -> F 0 = G 0 ->
  is_derive G 0 D ->
  filterlim (fun e => (F (0 + e) - F 0) / e) (within side (locally 0)) (locally D).
Proof.
  intros Hne E E0 HG. apply is_derive_Reals in HG.
  apply filterlim_locally. intros eps.
  destruct (HG eps (cond_pos eps)) as [del Hdel].
  exists del. intros e He Hs.
  unfold ball in He. simpl in He. unfold AbsRing_ball, abs, minus, plus, opp in He.
  simpl in He. rewrite Ropp_0, Rplus_0_r in He.
  unfold ball. simpl. unfold AbsRing_ball, abs, minus, plus, opp. simpl.
  specialize (Hdel e (Hne e Hs) He). rewrite Rplus_0_l in Hdel |- *.
  rewrite (E e Hs), E0.
  replace ((G e - G 0) / e + - D) with ((G e - G 0) / e - D) by ring.
  exact Hdel.
Qed.

(** On one side of the kink the unit is linear with slope [s]. *)
Definition kink_branch (f : R -> R) (s : R) (z : nat -> R) (j : nat) (t : R) :=
  fun k => if Nat.eqb k j then s * t else f (z k).

Lemma kink_branch_derive n1 n2 (f : R -> R) s h W b z d j :
  (j < n1)%nat -> f (z j) = s * 0 ->
  has_grad n2 h (layer n1 W b (actf f z)) d ->
  is_derive (fun t => h (layer n1 W b (kink_branch f s z j t))) 0
            (fsum n2 (fun i => W i j * d i) * s).
Proof.
  intros Hj Hf Hh.
  apply (is_derive_eq _ _ (fsum n2 (fun i => (W i j * s) * d i))).
  - apply (Hh (fun t => layer n1 W b (kink_branch f s z j t)) (fun i => W i j * s) 0).
    + intros i _. unfold layer, kink_branch, actf. f_equal. apply fsum_ext.
      intros k _. destruct (Nat.eqb k j) eqn:E; [|reflexivity].
      apply Nat.eqb_eq in E. subst k. rewrite Hf. reflexivity.
    + intros i _.
      apply (is_derive_ext (fun t => W i j * (s * t)
               + fsum n1 (fun k => if Nat.eqb k j then 0 else W i k * f (z k)) + b i)).
      * intros t. symmetry. unfold layer, kink_branch.
        rewrite (fsum_split n1 j) by exact Hj. rewrite Nat.eqb_refl.
        f_equal. f_equal. apply fsum_ext. intros k _. destruct (Nat.eqb k j); reflexivity.
      * auto_derive; [exact I|ring].
  - rewrite <- fsum_scal_r. apply fsum_ext. intros i _. ring.
Qed.

Lemma pl_right s1 s2 t : 0 <= t -> pl s1 s2 t = s1 * t.
Proof. intros H. unfold pl. destruct (Rlt_dec 0 t); [reflexivity|]. replace t with 0 by lra. ring. Qed.

Lemma pl_left s1 s2 t : t <= 0 -> pl s1 s2 t = s2 * t.
Proof. intros H. unfold pl. destruct (Rlt_dec 0 t); [lra|reflexivity]. Qed.

Lemma pl_upd_branch s1 s2 s z j t :
  pl s1 s2 t = s * t -> actf (pl s1 s2) (upd z j t) = kink_branch (pl s1 s2) s z j t.
Proof.
  intros H. apply functional_extensionality. intros k.
  unfold actf, upd, kink_branch. destruct (Nat.eqb k j); [exact H|reflexivity].
Qed.

(** The difference quotient of [t |-> h (W pl(z with z_j = t) + b)] at 0. *)
Definition kink_quot s1 s2 n1 (h : (nat -> R) -> R) W b z j (e : R) : R :=
  (h (layer n1 W b (actf (pl s1 s2) (upd z j (0 + e))))
   - h (layer n1 W b (actf (pl s1 s2) (upd z j 0)))) / e.

(** On the side where [pl s1 s2 t = s t] (0 included), the quotient tends to
    [((W)^T d)_j s]. *)
Lemma kink_layer_side (side : R -> Prop) s s1 s2 n1 n2 h W b z d j :
  (forall t, side t -> t <> 0) -> (forall t, side t \/ t = 0 -> pl s1 s2 t = s * t) ->
  (j < n1)%nat -> z j = 0 ->
  has_grad n2 h (layer n1 W b (actf (pl s1 s2) z)) d ->
  filterlim (kink_quot s1 s2 n1 h W b z j) (within side (locally 0))
            (locally (fsum n2 (fun i => W i j * d i) * s)).
Proof.
  intros Hne Hs Hj Hz Hh.
  apply (quotient_of_derive side (fun t => h (layer n1 W b (actf (pl s1 s2) (upd z j t))))
           (fun t => h (layer n1 W b (kink_branch (pl s1 s2) s z j t))) _ Hne).
  - intros t Ht. rewrite (pl_upd_branch s1 s2 s) by (apply Hs; left; exact Ht). reflexivity.
  - rewrite (pl_upd_branch s1 s2 s) by (apply Hs; right; reflexivity). reflexivity.
  - apply kink_branch_derive; [exact Hj| |exact Hh].
    rewrite Hz. apply Hs. right. reflexivity.
Qed.

(** One layer: the right derivative along the unit on the kink is
    [((W)^T d)_j s1], the left one [((W)^T d)_j s2]. *)
Theorem kink_layer_one_sided s1 s2 n1 n2 h W b z d j :
  (j < n1)%nat -> z j = 0 ->
  has_grad n2 h (layer n1 W b (actf (pl s1 s2) z)) d ->
  filterlim (kink_quot s1 s2 n1 h W b z j) (at_right 0)
            (locally (fsum n2 (fun i => W i j * d i) * s1)) /\
  filterlim (kink_quot s1 s2 n1 h W b z j) (at_left 0)
            (locally (fsum n2 (fun i => W i j * d i) * s2)).
Proof.
  intros Hj Hz Hh. split.
  - apply kink_layer_side with (n2 := n2); try assumption.
    + intros t Ht. lra.
    + intros t Ht. apply pl_right. destruct Ht; lra.
  - apply kink_layer_side with (n2 := n2); try assumption.
    + intros t Ht. lra.
    + intros t Ht. apply pl_left. destruct Ht; lra.
Qed.

(** ** In a depth-[L] network *)

Section Network.

Variables (sz : nat -> nat) (f df : nat -> R -> R) (b : nat -> nat -> R) (x : nat -> R).
Variables (W : nat -> nat -> nat -> R) (L l j : nat) (g : (nat -> R) -> R) (dL : nat -> R).
Variables (s1 s2 : R).
Hypothesis Hl : (1 <= l < L)%nat.
Hypothesis Hj : (j < sz l)%nat.
Hypothesis Hpl : f l = pl s1 s2.
Hypothesis Hkink : zg sz f x W b l j = 0.
(** Every activation above layer [l] is differentiable at its [z^m_i]. *)
Hypothesis Habove : forall m i, (l < m < L)%nat -> (i < sz m)%nat ->
  is_derive (f m) (zg sz f x W b m i) (df m (zg sz f x W b m i)).
Hypothesis Hg : has_grad (sz L) g (zg sz f x W b L) dL.

(** The total cost as a function of [z^l_j], the layers above fixed. *)
Definition kink_cost (t : R) : R :=
  g (fwdg sz f W b (L - l) l (upd (zg sz f x W b l) j t)).

(** [((W^{l+1})^T delta^{l+1})_j], [delta^{l+1}] the backward pass above [l]. *)
Definition kink_back : R :=
  fsum (sz (S l)) (fun i => W (S l) i j * deltag sz f df b x W L dL (S l) i).

Lemma kink_above :
  has_grad (sz (S l)) (fun z => g (fwdg sz f W b (L - S l) (S l) z))
    (layer (sz l) (W (S l)) (b (S l)) (actf (pl s1 s2) (zg sz f x W b l)))
    (deltag sz f df b x W L dL (S l)).
Proof.
  rewrite <- Hpl. destruct l as [|p]; [lia|].
  change (layer (sz (S p)) (W (S (S p))) (b (S (S p))) (actf (f (S p)) (zg sz f x W b (S p))))
    with (zg sz f x W b (S (S p))).
  unfold deltag. apply bp2_steps; [lia| |].
  - intros m i Hm Hi. apply Habove; [lia|exact Hi].
  - replace (S (S p) + (L - S (S p)))%nat with L by lia. exact Hg.
Qed.

Definition kink_H (z : nat -> R) : R := g (fwdg sz f W b (L - S l) (S l) z).

Lemma kink_cost_quotient e :
  kink_quot s1 s2 (sz l) kink_H (W (S l)) (b (S l)) (zg sz f x W b l) j e
  = (kink_cost (0 + e) - kink_cost 0) / e.
Proof.
  unfold kink_quot, kink_cost, kink_H. replace (L - l)%nat with (S (L - S l)) by lia.
  simpl fwdg. rewrite Hpl. reflexivity.
Qed.

(** The total cost along [z^l_j] has right derivative [kink_back s1] and
    left derivative [kink_back s2] at the kink. *)
Theorem kink_cost_one_sided :
  filterlim (fun e => (kink_cost (0 + e) - kink_cost 0) / e) (at_right 0)
            (locally (kink_back * s1)) /\
  filterlim (fun e => (kink_cost (0 + e) - kink_cost 0) / e) (at_left 0)
            (locally (kink_back * s2)).
Proof.
  destruct (kink_layer_one_sided s1 s2 (sz l) (sz (S l)) kink_H (W (S l)) (b (S l))
              (zg sz f x W b l) (deltag sz f df b x W L dL (S l)) j Hj Hkink kink_above)
    as [R1 L1].
  split; apply (filterlim_ext _ _ kink_cost_quotient); assumption.
Qed.

(** The code's convention [f'(0) = s2]: the backward pass's [delta^l_j] is
    the cost's left derivative along the unit on the kink. *)
Theorem kink_code_delta_is_left :
  df l 0 = s2 ->
  filterlim (fun e => (kink_cost (0 + e) - kink_cost 0) / e) (at_left 0)
            (locally (deltag sz f df b x W L dL l j)).
Proof.
  intros Hd. rewrite delta_step_any by lia. unfold deltaf.
  rewrite Hkink, Hd. fold kink_back. apply kink_cost_one_sided.
Qed.

End Network.

(** ReLU ([pl 1 0], code [f'(0) = 0]) and leaky ReLU ([pl 1 alpha], code
    [f'(0) = alpha]) are the instances [s1 = 1], [s2 = 0 / alpha]. *)
