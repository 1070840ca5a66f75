(** * Frechet: the Frechet gradient satisfies [has_grad]

    [frechet n g z d]: [g (z + h) = g z + sum_i h_i d_i + o(|h|)] on the
    first [n] coordinates, in epsilon-delta form with the norm
    [|h| = sum_{i<n} |h_i|] (any norm of [R^n] gives the same notion).
    - [frechet_has_grad]: a Frechet gradient is a [has_grad] gradient (the
      chain rule along a curve whose coordinates are differentiable at
      [t0]).  So every cost that is Frechet differentiable at [z^L]
      satisfies the hypothesis of BP1/BP2 at any depth (Deep.v,
      Activations.v) and of [backprop_flat_gradient] (Joint.v).
    - [frechet_linear]: the notion is not empty ([y |-> sum y_i d_i]).
    - [parabola_not_frechet]: the punctured-parabola indicator of
      Gradient.v has no Frechet gradient at 0 (from
      [gateaux_is_not_has_grad]).
    - [c1_frechet], [c1_has_grad_frechet]: the C^1 criterion.  Partial
      derivatives (or a [has_grad] gradient) at every point of a box
      around [z], continuous at [z] ([cont_at]), give a Frechet gradient
      at [z]; proved with the mean value theorem on each axis, no choice.
    The converse in general, [has_grad] implies Frechet without continuity
    of the gradient (Hadamard = Frechet in finite dimension, by compactness
    of the unit sphere), is not proved here: its textbook proof picks a
    sequence of points where the Frechet estimate fails, which is countable
    choice, outside the four allowed assumptions (proofs/README.md). *)

From Coq Require Import Reals Lra Lia FunctionalExtensionality.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient.
Open Scope R_scope.

Definition frechet (n : nat) (g : (nat -> R) -> R) (z d : nat -> R) : Prop :=
  forall eps, 0 < eps -> exists delta, 0 < delta /\
    forall y, (forall i, (i < n)%nat -> Rabs (y i - z i) < delta) ->
    Rabs (g y - g z - fsum n (fun i => (y i - z i) * d i))
    <= eps * fsum n (fun i => Rabs (y i - z i)).

(** One [delta] for finitely many conditions that stay true for smaller [delta]. *)
Lemma finite_delta n (P : nat -> R -> Prop) :
  (forall i e e', (i < n)%nat -> 0 < e' <= e -> P i e -> P i e') ->
  (forall i, (i < n)%nat -> exists e, 0 < e /\ P i e) ->
  exists e, 0 < e /\ forall i, (i < n)%nat -> P i e.
Proof.
  induction n as [|n IH]; intros Hm Hex.
  - exists 1. split; [lra|]. intros i Hi. lia.
  - destruct IH as [e1 [He1 H1]].
    + intros i e e' Hi. apply Hm. lia.
    + intros i Hi. apply Hex. lia.
    + destruct (Hex n ltac:(lia)) as [e2 [He2 H2]].
      exists (Rmin e1 e2). split; [apply Rmin_pos; assumption|].
      intros i Hi. destruct (Nat.eq_dec i n) as [->|N].
      * apply (Hm n e2); [lia| |exact H2]. split; [apply Rmin_pos; assumption|apply Rmin_r].
      * apply (Hm i e1); [lia| |apply H1; lia].
        split; [apply Rmin_pos; assumption|apply Rmin_l].
Qed.

Theorem frechet_has_grad n g z d : frechet n g z d -> has_grad n g z d.
Proof.
  intros HF c dc t0 Hc Hdc. apply is_derive_Reals. intros eps Heps.
  set (D := fsum n (fun i => Rabs (d i))). set (K := fsum n (fun i => Rabs (dc i) + 1)).
  assert (HD : 0 <= D) by (apply fsum_nonneg; intros; apply Rabs_pos).
  assert (HK : 0 <= K)
    by (apply fsum_nonneg; intros; pose proof (Rabs_pos (dc i)); lra).
  set (e1 := eps / (2 * (D + 1))). set (e2 := eps / (2 * (K + 1))).
  assert (He1 : 0 < e1) by (unfold e1; apply Rdiv_lt_0_compat; lra).
  assert (He2 : 0 < e2) by (unfold e2; apply Rdiv_lt_0_compat; lra).
  (* the coordinates' difference quotients, all within min(1, e1) *)
  destruct (finite_delta n (fun i e => forall h, h <> 0 -> Rabs h < e ->
              Rabs ((c (t0 + h) i - z i) / h - dc i) < Rmin 1 e1)) as [dc0 [Hdc0 Q]].
  { intros i e e' _ [He' Hle] H h Hh Hlt. apply H; [exact Hh|lra]. }
  { intros i Hi. pose proof (proj1 (is_derive_Reals _ _ _) (Hdc i Hi)) as L.
    destruct (L (Rmin 1 e1) ltac:(apply Rmin_pos; lra)) as [dl Hdl].
    exists dl. split; [apply cond_pos|]. intros h Hh Hlt.
    rewrite <- (Hc i Hi). apply Hdl; assumption. }
  destruct (HF e2 He2) as [dF [HdF HFy]].
  (* g (c t0) = g z: c t0 agrees with z on the first n coordinates *)
  assert (G0 : g (c t0) = g z).
  { assert (P0 : forall i, (i < n)%nat -> Rabs (c t0 i - z i) < dF).
    { intros i Hi. rewrite Hc by exact Hi. replace (z i - z i) with 0 by ring.
      rewrite Rabs_R0. exact HdF. }
    pose proof (HFy (c t0) P0) as H0.
    rewrite (fsum_ext n (fun i => (c t0 i - z i) * d i) (fun _ => 0)) in H0
      by (intros i Hi; rewrite Hc by exact Hi; ring).
    rewrite (fsum_ext n (fun i => Rabs (c t0 i - z i)) (fun _ => 0)) in H0
      by (intros i Hi; rewrite Hc by exact Hi; replace (z i - z i) with 0 by ring;
          apply Rabs_R0).
    rewrite fsum_zero, Rmult_0_r, Rminus_0_r in H0. revert H0. unfold Rabs.
    destruct (Rcase_abs (g (c t0) - g z)); intros; lra. }
  assert (Hdp : 0 < Rmin dc0 (dF / (K + 1)))
    by (apply Rmin_pos; [exact Hdc0|apply Rdiv_lt_0_compat; lra]).
  exists (mkposreal _ Hdp). intros h Hh Hlt. simpl in Hlt.
  assert (Hh0 : 0 < Rabs h) by (apply Rabs_pos_lt, Hh).
  assert (Hq : forall i, (i < n)%nat -> Rabs ((c (t0 + h) i - z i) / h - dc i) <= e1
                                       /\ Rabs ((c (t0 + h) i - z i) / h) <= Rabs (dc i) + 1).
  { intros i Hi. pose proof (Q i Hi h Hh ltac:(pose proof (Rmin_l dc0 (dF / (K + 1))); lra)).
    pose proof (Rmin_l 1 e1). pose proof (Rmin_r 1 e1). split; [lra|].
    pose proof (abs_near_lemma := Rabs_triang_inv ((c (t0 + h) i - z i) / h) (dc i)). lra. }
  assert (Hy : forall i, (i < n)%nat -> Rabs (c (t0 + h) i - z i) <= Rabs h * (Rabs (dc i) + 1)).
  { intros i Hi. replace (c (t0 + h) i - z i) with (h * ((c (t0 + h) i - z i) / h))
      by (field; exact Hh).
    rewrite Rabs_mult. apply Rmult_le_compat_l; [apply Rabs_pos|apply Hq, Hi]. }
  assert (HyF : forall i, (i < n)%nat -> Rabs (c (t0 + h) i - z i) < dF).
  { intros i Hi. eapply Rle_lt_trans; [apply Hy, Hi|].
    assert (Rabs (dc i) + 1 <= K + 1).
    { pose proof (fsum_term_le n (fun k => Rabs (dc k) + 1) i
                    ltac:(intros j _; pose proof (Rabs_pos (dc j)); lra) Hi). unfold K. lra. }
    assert (Rabs h < dF / (K + 1)) by (pose proof (Rmin_r dc0 (dF / (K + 1))); lra).
    apply (Rlt_le_trans _ (dF / (K + 1) * (Rabs (dc i) + 1))).
    - apply Rmult_lt_compat_r; [pose proof (Rabs_pos (dc i)); lra|lra].
    - apply (Rle_trans _ (dF / (K + 1) * (K + 1))).
      + apply Rmult_le_compat_l; [left; apply Rdiv_lt_0_compat; lra|lra].
      + unfold Rdiv. rewrite Rmult_assoc, Rinv_l by lra. lra. }
  pose proof (HFy (c (t0 + h)) HyF) as HA.
  set (A := g (c (t0 + h)) - g z - fsum n (fun i => (c (t0 + h) i - z i) * d i)) in HA.
  assert (B1 : Rabs (A / h) <= e2 * K).
  { unfold Rdiv. rewrite Rabs_mult, Rabs_inv.
    apply (Rmult_le_reg_r (Rabs h)); [exact Hh0|].
    rewrite Rmult_assoc, Rinv_l by lra. rewrite Rmult_1_r.
    eapply Rle_trans; [exact HA|].
    replace (e2 * K * Rabs h) with (e2 * (K * Rabs h)) by ring.
    apply Rmult_le_compat_l; [lra|]. unfold K. rewrite <- fsum_scal_r.
    apply fsum_le. intros i Hi. rewrite Rmult_comm. apply Hy, Hi. }
  assert (B2 : Rabs (fsum n (fun i => ((c (t0 + h) i - z i) / h - dc i) * d i)) <= e1 * D).
  { eapply Rle_trans; [apply fsum_abs|]. unfold D. rewrite <- fsum_scal_l.
    apply fsum_le. intros i Hi. rewrite Rabs_mult.
    apply Rmult_le_compat_r; [apply Rabs_pos|apply Hq, Hi]. }
  assert (E : (g (c (t0 + h)) - g (c t0)) / h - fsum n (fun i => dc i * d i)
              = A / h + fsum n (fun i => ((c (t0 + h) i - z i) / h - dc i) * d i)).
  { unfold A. rewrite G0.
    replace (fsum n (fun i => ((c (t0 + h) i - z i) / h - dc i) * d i))
      with (fsum n (fun i => (c (t0 + h) i - z i) * d i) * / h - fsum n (fun i => dc i * d i)).
    - field. exact Hh.
    - rewrite <- fsum_scal_r, <- fsum_minus. apply fsum_ext. intros. field. exact Hh. }
  rewrite E. eapply Rle_lt_trans; [apply Rabs_triang|].
  assert (e2 * K < eps / 2).
  { unfold e2. apply (Rmult_lt_reg_r (2 * (K + 1))); [lra|].
    unfold Rdiv. field_simplify; lra. }
  assert (e1 * D < eps / 2).
  { unfold e1. apply (Rmult_lt_reg_r (2 * (D + 1))); [lra|].
    unfold Rdiv. field_simplify; lra. }
  lra.
Qed.

Theorem frechet_linear n z d : frechet n (fun y => fsum n (fun i => y i * d i)) z d.
Proof.
  intros eps Heps. exists 1. split; [lra|]. intros y _.
  replace (fsum n (fun i => y i * d i) - fsum n (fun i => z i * d i)
           - fsum n (fun i => (y i - z i) * d i)) with 0.
  - rewrite Rabs_R0. apply Rmult_le_pos; [lra|].
    apply fsum_nonneg. intros; apply Rabs_pos.
  - rewrite <- fsum_minus, <- fsum_minus, <- (fsum_zero n). apply fsum_ext. intros; ring.
Qed.

Corollary parabola_not_frechet d : ~ frechet 2 parabola_indicator (fun _ => 0) d.
Proof.
  intros H. apply (proj2 gateaux_is_not_has_grad d). apply frechet_has_grad, H.
Qed.

(** ** The C^1 criterion: continuous partials give a Frechet gradient

    No choice is needed: [g (y) - g (z)] telescopes over the coordinates
    ([tele]), the mean value theorem ([MVT_gen]) on each axis turns every
    step into [(y_k - z_k) d(p_k)_k] at a point [p_k] of the box between
    [z] and [y], and continuity of [d _ k] at [z] makes each
    [d(p_k)_k - d(z)_k] smaller than [eps]. *)

(** The neighbourhoods of [z] in the first [n] coordinates, as a filter. *)
Definition near (n : nat) (z : nat -> R) (P : (nat -> R) -> Prop) : Prop :=
  exists delta, 0 < delta /\
    forall y, (forall i, (i < n)%nat -> Rabs (y i - z i) < delta) -> P y.

Global Instance near_filter n z : Filter (near n z).
Proof.
  constructor.
  - exists 1. split; [lra|]. intros; exact I.
  - intros P Q [d1 [H1 P1]] [d2 [H2 Q1]]. exists (Rmin d1 d2).
    split; [apply Rmin_pos; assumption|]. intros y Hy. split.
    + apply P1. intros i Hi. pose proof (Hy i Hi). pose proof (Rmin_l d1 d2). lra.
    + apply Q1. intros i Hi. pose proof (Hy i Hi). pose proof (Rmin_r d1 d2). lra.
  - intros P Q HPQ [d [Hd HP]]. exists d. split; [exact Hd|]. intros y Hy.
    apply HPQ, HP, Hy.
Qed.

(** [F] is continuous at [z] (in the first [n] coordinates). *)
Definition cont_at (n : nat) (F : (nat -> R) -> R) (z : nat -> R) : Prop :=
  filterlim F (near n z) (locally (F z)).

Lemma cont_at_eps n F z :
  cont_at n F z -> forall eps, 0 < eps -> exists delta, 0 < delta /\
    forall y, (forall i, (i < n)%nat -> Rabs (y i - z i) < delta) -> Rabs (F y - F z) < eps.
Proof.
  intros H eps Heps. destruct (proj1 (filterlim_locally F (F z)) H (mkposreal eps Heps))
    as [d [Hd Hy]].
  exists d. split; [exact Hd|]. intros y Hi. exact (Hy y Hi).
Qed.

(** [x] between [a] and [b] is no farther from [a] than [b] is. *)
Lemma between_abs a b c : Rmin a b <= c <= Rmax a b -> Rabs (c - a) <= Rabs (b - a).
Proof.
  unfold Rmin, Rmax. destruct (Rle_dec a b); intros [H1 H2]; unfold Rabs;
    destruct (Rcase_abs (c - a)); destruct (Rcase_abs (b - a)); lra.
Qed.

(** The path from [z] to [y]: the first [k] coordinates of [y], then [z]. *)
Definition tele (y z : nat -> R) (k : nat) : nat -> R :=
  fun i => if (i <? k)%nat then y i else z i.

Lemma tele_0 y z : tele y z 0 = z.
Proof. reflexivity. Qed.

Lemma tele_S y z k : tele y z (S k) = upd (tele y z k) k (y k).
Proof.
  apply functional_extensionality. intros i. unfold tele, upd.
  destruct (Nat.eqb i k) eqn:E.
  - apply Nat.eqb_eq in E. subst i. now rewrite (proj2 (Nat.ltb_lt k (S k))) by lia.
  - apply Nat.eqb_neq in E. destruct (i <? S k)%nat eqn:E1; destruct (i <? k)%nat eqn:E2;
      try reflexivity; apply Nat.ltb_lt in E1 || apply Nat.ltb_ge in E1;
      apply Nat.ltb_lt in E2 || apply Nat.ltb_ge in E2; lia.
Qed.

Lemma upd_upd y k t s : upd (upd y k t) k s = upd y k s.
Proof.
  apply functional_extensionality. intros i. unfold upd.
  destruct (Nat.eqb i k); reflexivity.
Qed.

Lemma fsum_telescope n (F : nat -> R) : fsum n (fun k => F (S k) - F k) = F n - F O.
Proof. induction n as [|n IH]; simpl; [ring|]. rewrite IH. ring. Qed.

(** The point on axis [k] of the path stays in the box around [z]. *)
Lemma tele_upd_near n y z k r t :
  0 < r -> (forall i, (i < n)%nat -> Rabs (y i - z i) < r) ->
  Rabs (t - z k) <= Rabs (y k - z k) ->
  forall i, (i < n)%nat -> Rabs (upd (tele y z k) k t i - z i) < r.
Proof.
  intros Hr Hy Ht i Hi. unfold upd, tele. destruct (Nat.eqb i k) eqn:E.
  - apply Nat.eqb_eq in E. subst i. pose proof (Hy k Hi). lra.
  - destruct (i <? k)%nat; [apply Hy, Hi|]. rewrite Rminus_eq_0, Rabs_R0. exact Hr.
Qed.

(** The criterion, with [g] depending near [z] only on the first [n]
    coordinates ([Hloc]). *)
Lemma c1_core n g z (d : (nat -> R) -> nat -> R) r :
  0 < r ->
  (forall y w, (forall i, (i < n)%nat -> Rabs (y i - z i) < r) ->
     (forall i, (i < n)%nat -> w i = y i) -> g w = g y) ->
  (forall y, (forall i, (i < n)%nat -> Rabs (y i - z i) < r) ->
     forall i, (i < n)%nat -> is_derive (fun t => g (upd y i t)) (y i) (d y i)) ->
  (forall i, (i < n)%nat -> cont_at n (fun y => d y i) z) ->
  frechet n g z (d z).
Proof.
  intros Hr Hloc Hd Hc eps Heps.
  destruct (finite_delta n (fun i e => forall y, (forall k, (k < n)%nat -> Rabs (y k - z k) < e)
              -> Rabs (d y i - d z i) < eps)) as [e0 [He0 H0]].
  { intros i e e' _ [He' Hle] H y Hy. apply H. intros k Hk. pose proof (Hy k Hk). lra. }
  { intros i Hi. exact (cont_at_eps n _ z (Hc i Hi) eps Heps). }
  exists (Rmin r e0). split; [apply Rmin_pos; assumption|]. intros y Hy.
  assert (Hyr : forall i, (i < n)%nat -> Rabs (y i - z i) < r)
    by (intros i Hi; pose proof (Hy i Hi); pose proof (Rmin_l r e0); lra).
  assert (Hye : forall i, (i < n)%nat -> Rabs (y i - z i) < e0)
    by (intros i Hi; pose proof (Hy i Hi); pose proof (Rmin_r r e0); lra).
  (* each step of the telescope, by the mean value theorem on axis [k] *)
  assert (Step : forall k, (k < n)%nat ->
    Rabs (g (tele y z (S k)) - g (tele y z k) - (y k - z k) * d z k)
    <= eps * Rabs (y k - z k)).
  { intros k Hk. set (p := fun t => upd (tele y z k) k t).
    assert (Hp : forall t, Rmin (z k) (y k) <= t <= Rmax (z k) (y k) ->
      is_derive (fun s => g (p s)) t (d (p t) k)).
    { intros t Ht. pose proof (between_abs _ _ _ Ht) as Ha.
      pose proof (Hd (p t) (tele_upd_near n y z k r t Hr Hyr Ha) k Hk) as D.
      unfold p in D |- *. rewrite upd_same in D.
      eapply is_derive_ext; [|exact D]. intros s. simpl. now rewrite upd_upd. }
    destruct (MVT_gen (fun s => g (p s)) (z k) (y k) (fun t => d (p t) k)) as [c [Hc1 Hc2]].
    { intros t Ht. apply Hp. lra. }
    { intros t Ht. apply continuity_pt_filterlim, (ex_derive_continuous (fun s => g (p s))).
      eexists. apply Hp, Ht. }
    assert (E1 : p (y k) = tele y z (S k)) by (unfold p; now rewrite tele_S).
    assert (E0 : p (z k) = tele y z k).
    { unfold p. apply functional_extensionality. intros i. unfold upd, tele.
      destruct (Nat.eqb i k) eqn:E; [apply Nat.eqb_eq in E; subst i|reflexivity].
      now rewrite Nat.ltb_irrefl. }
    simpl in Hc2. rewrite E1, E0 in Hc2. rewrite Hc2.
    replace (d (p c) k * (y k - z k) - (y k - z k) * d z k)
      with ((d (p c) k - d z k) * (y k - z k)) by ring.
    rewrite Rabs_mult. apply Rmult_le_compat_r; [apply Rabs_pos|].
    left. apply H0; [exact Hk|]. pose proof (between_abs _ _ _ Hc1) as Ha.
    apply (tele_upd_near n y z k e0 c He0 Hye Ha). }
  assert (Gy : g (tele y z n) = g y).
  { apply Hloc; [exact Hyr|]. intros i Hi. unfold tele.
    now rewrite (proj2 (Nat.ltb_lt i n) Hi). }
  rewrite <- Gy. rewrite <- (tele_0 y z) at 2.
  rewrite <- (fsum_telescope n (fun k => g (tele y z k))), <- fsum_minus.
  eapply Rle_trans; [apply fsum_abs|]. rewrite <- fsum_scal_l.
  apply fsum_le. exact Step.
Qed.

(** The C^1 criterion: if [g] depends only on its first [n] coordinates,
    has partial derivatives [d y] at every [y] of a box around [z], and
    each [y |-> d y i] is continuous at [z], then [d z] is a Frechet
    gradient at [z]. *)
Theorem c1_frechet n g z (d : (nat -> R) -> nat -> R) r :
  0 < r -> respects n g ->
  (forall y, (forall i, (i < n)%nat -> Rabs (y i - z i) < r) ->
     forall i, (i < n)%nat -> is_derive (fun t => g (upd y i t)) (y i) (d y i)) ->
  (forall i, (i < n)%nat -> cont_at n (fun y => d y i) z) ->
  frechet n g z (d z).
Proof.
  intros Hr Hresp. apply (c1_core n g z d r); [exact Hr|]. intros y w _ Hw. apply Hresp, Hw.
Qed.

(** A [has_grad] gradient at [y] forces [g w = g y] when [w] agrees with
    [y] on the first [n] coordinates (the curve jumping from [y] to [w]
    has constant coordinates, so [g] along it is continuous at 0). *)
Lemma has_grad_respects_at n g y d w :
  has_grad n g y d -> (forall i, (i < n)%nat -> w i = y i) -> g w = g y.
Proof.
  intros Hg Hw. set (c := fun t : R => if Req_EM_T t 0 then y else w).
  assert (H : is_derive (fun t => g (c t)) 0 (fsum n (fun i => 0 * d i))).
  { apply Hg.
    - intros i _. unfold c. destruct (Req_EM_T 0 0) as [_|N]; [reflexivity|congruence].
    - intros i Hi. apply (is_derive_ext (fun _ => y i)); [|apply is_derive_const_R].
      intros t. unfold c. destruct (Req_EM_T t 0); [reflexivity|symmetry; apply Hw, Hi]. }
  assert (Cont : continuity_pt (fun t => g (c t)) 0).
  { apply continuity_pt_filterlim, (ex_derive_continuous (fun t => g (c t))).
    eexists; exact H. }
  destruct (Req_dec (g w) (g y)) as [E|N]; [exact E|exfalso].
  assert (Hpos : 0 < Rabs (g w - g y)) by (apply Rabs_pos_lt; lra).
  destruct (Cont _ Hpos) as [del [Hdel Hcl]].
  assert (HD : D_x no_cond 0 (del / 2)) by (split; [exact I|intros E; lra]).
  assert (R1 : R_dist (del / 2) 0 < del)
    by (unfold R_dist; rewrite Rminus_0_r, Rabs_pos_eq by lra; lra).
  specialize (Hcl (del / 2) (conj HD R1)). simpl in Hcl. unfold R_dist, c in Hcl.
  destruct (Req_EM_T (del / 2) 0) as [E|_]; [lra|].
  destruct (Req_EM_T 0 0) as [_|N']; [|congruence]. lra.
Qed.

(** The same with [has_grad] on a box around [z]: a [has_grad] gradient
    that is continuous at [z] is a Frechet gradient there. *)
Theorem c1_has_grad_frechet n g z (d : (nat -> R) -> nat -> R) r :
  0 < r ->
  (forall y, (forall i, (i < n)%nat -> Rabs (y i - z i) < r) -> has_grad n g y (d y)) ->
  (forall i, (i < n)%nat -> cont_at n (fun y => d y i) z) ->
  frechet n g z (d z).
Proof.
  intros Hr Hg. apply (c1_core n g z d r); [exact Hr| |].
  - intros y w Hy Hw. apply (has_grad_respects_at n g y (d y)); [apply Hg, Hy|exact Hw].
  - intros y Hy i Hi. apply (has_grad_partial n g y (d y) i); [apply Hg, Hy|exact Hi].
Qed.

(** ** Continuity at [z]: the rules used for the network's gradient *)

Lemma cont_at_ext n F G z : (forall y, F y = G y) -> cont_at n F z -> cont_at n G z.
Proof.
  intros E H. unfold cont_at. rewrite <- E.
  apply (filterlim_ext F G); [exact E|exact H].
Qed.

Lemma cont_at_const n c z : cont_at n (fun _ => c) z.
Proof. apply filterlim_const. Qed.

Lemma cont_at_coord n i z : (i < n)%nat -> cont_at n (fun y => y i) z.
Proof.
  intros Hi. apply filterlim_locally. intros eps. exists eps. split; [apply cond_pos|].
  intros y Hy. apply Hy, Hi.
Qed.

Lemma cont_at_plus n F G z :
  cont_at n F z -> cont_at n G z -> cont_at n (fun y => F y + G y) z.
Proof.
  intros HF HG. apply (filterlim_comp_2 F G Rplus HF HG).
  exact (@filterlim_plus R_AbsRing R_NormedModule (F z) (G z)).
Qed.

Lemma cont_at_mult n F G z :
  cont_at n F z -> cont_at n G z -> cont_at n (fun y => F y * G y) z.
Proof.
  intros HF HG. apply (filterlim_comp_2 F G Rmult HF HG).
  exact (@filterlim_mult R_AbsRing (F z) (G z)).
Qed.

Lemma cont_at_fsum n m (F : nat -> (nat -> R) -> R) z :
  (forall k, (k < m)%nat -> cont_at n (F k) z) ->
  cont_at n (fun y => fsum m (fun k => F k y)) z.
Proof.
  induction m as [|m IH]; intros H; simpl; [apply cont_at_const|].
  apply cont_at_plus; [apply IH; intros; apply H; lia|apply H; lia].
Qed.

(** A real function continuous at [F z], after [F]. *)
Lemma cont_at_Rcomp n (f : R -> R) F z :
  continuous f (F z) -> cont_at n F z -> cont_at n (fun y => f (F y)) z.
Proof. intros Hf HF. exact (filterlim_comp _ _ _ F f _ _ _ HF Hf). Qed.

(** A map whose first [m] coordinates are continuous at [z], into a
    function continuous at its image. *)
Lemma cont_at_vcomp n m (G : (nat -> R) -> R) (P : (nat -> R) -> nat -> R) z :
  cont_at m G (P z) -> (forall i, (i < m)%nat -> cont_at n (fun y => P y i) z) ->
  cont_at n (fun y => G (P y)) z.
Proof.
  intros HG HP. apply (filterlim_comp _ _ _ P G _ (near m (P z))); [|exact HG].
  intros Q [dq [Hdq HQ]].
  destruct (finite_delta m (fun i e => forall y, (forall k, (k < n)%nat -> Rabs (y k - z k) < e)
              -> Rabs (P y i - P z i) < dq)) as [e [He H]].
  { intros i e e' _ [He' Hle] H y Hy. apply H. intros k Hk. pose proof (Hy k Hk). lra. }
  { intros i Hi. exact (cont_at_eps n _ z (HP i Hi) dq Hdq). }
  exists e. split; [exact He|]. intros y Hy. apply HQ. intros i Hi. apply H; assumption.
Qed.
