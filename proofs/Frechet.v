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
    The converse, [has_grad] implies Frechet (Hadamard = Frechet in finite
    dimension, by compactness of the unit sphere), is not proved here: its
    textbook proof picks a sequence of points where the Frechet estimate
    fails, which is countable choice, outside the four allowed assumptions
    (proofs/README.md). *)

From Coq Require Import Reals Lra Lia.
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
