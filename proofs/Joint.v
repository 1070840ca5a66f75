(** * Joint: the gradient with respect to all parameters at once

    Move every weight and bias of a depth-[L] network at the same time along
    a curve [t |-> (W(t), b(t))] through [(W, b) = (W(t0), b(t0))] whose
    entries are differentiable at [t0] (derivatives [dW], [db]).  Then
    [d/dt C] at [t0] is
    [sum_{l=1..L} sum_j delta^l_j (sum_k dW^l_jk a^{l-1}_k + db^l_j)]:
    the parameters' gradient is exactly the BP3/BP4 array.  Proved for any
    hidden activations [f l] differentiable everywhere (Activations.v's
    network, [backprop_joint_gradient_any]), and for the sigmoid network of
    Deep.v as its instance ([backprop_joint_gradient]).  The proof
    differentiates [z^l(t)] layer by layer ([zg_curve_derivative]) and
    telescopes with BP2 ([joint_telescope]).
    C: [gp_backprop_batch], [gp_total_gradient] (src/backprop.c). *)

From Coq Require Import Reals Lra Lia FunctionalExtensionality.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient Deep Activations.
Open Scope R_scope.

Lemma is_derive_Rmult (f g : R -> R) (x df dg : R) :
  is_derive f x df -> is_derive g x dg ->
  is_derive (fun t => f t * g t) x (df * g x + f x * dg).
Proof.
  intros Hf Hg. apply (is_derive_mult f g x df dg Hf Hg). intros. apply Rmult_comm.
Qed.

Section Joint.

Variables (sz : nat -> nat) (f df : nat -> R -> R) (x : nat -> R).
Hypothesis Hf : forall l t, is_derive (f l) t (df l t).
Variables (Wt : R -> nat -> nat -> nat -> R) (bt : R -> nat -> nat -> R) (t0 : R).
Variables (dW : nat -> nat -> nat -> R) (db : nat -> nat -> R).
Hypothesis HW : forall l j k, is_derive (fun t => Wt t l j k) t0 (dW l j k).
Hypothesis Hb : forall l j, is_derive (fun t => bt t l j) t0 (db l j).

(** [dz^l/dt], layer by layer. *)
Fixpoint zdot (l : nat) : nat -> R :=
  match l with
  | O => fun _ => 0
  | S p => fun j =>
      fsum (sz p) (fun k => dW (S p) j k * ag sz f x (Wt t0) (bt t0) p k
        + Wt t0 (S p) j k
          * match p with
            | O => 0
            | S _ => df p (zg sz f x (Wt t0) (bt t0) p k) * zdot p k
            end)
      + db (S p) j
  end.

Definition adot (p k : nat) : R :=
  match p with
  | O => 0
  | S _ => df p (zg sz f x (Wt t0) (bt t0) p k) * zdot p k
  end.

Lemma zg_curve_derivative p j :
  is_derive (fun t => zg sz f x (Wt t) (bt t) (S p) j) t0 (zdot (S p) j).
Proof.
  revert j. induction p as [p IH] using lt_wf_ind. intros j.
  apply (is_derive_ext (fun t => fsum (sz p) (fun k => Wt t (S p) j k
                                  * ag sz f x (Wt t) (bt t) p k) + bt t (S p) j));
    [intros; reflexivity|].
  change (zdot (S p) j) with (fsum (sz p) (fun k => dW (S p) j k
      * ag sz f x (Wt t0) (bt t0) p k + Wt t0 (S p) j k * adot p k) + db (S p) j).
  apply (is_derive_Rplus _ (fun t => bt t (S p) j)); [|apply Hb].
  apply (is_derive_fsum (sz p) (fun k t => Wt t (S p) j k * ag sz f x (Wt t) (bt t) p k)).
  intros k _.
  assert (Hg : is_derive (fun t => ag sz f x (Wt t) (bt t) p k) t0 (adot p k)).
  { destruct p as [|q].
    - exact (is_derive_const_R (x k) t0).
    - change (is_derive (fun t => f (S q) (zg sz f x (Wt t) (bt t) (S q) k)) t0
                (df (S q) (zg sz f x (Wt t0) (bt t0) (S q) k) * zdot (S q) k)).
      rewrite Rmult_comm.
      apply (is_derive_Rcomp (f (S q)) (fun t => zg sz f x (Wt t) (bt t) (S q) k) t0
               (df (S q) (zg sz f x (Wt t0) (bt t0) (S q) k)) (zdot (S q) k));
        [apply Hf|].
      apply IH. lia. }
  exact (is_derive_Rmult (fun t => Wt t (S p) j k) (fun t => ag sz f x (Wt t) (bt t) p k)
           t0 (dW (S p) j k) (adot p k) (HW (S p) j k) Hg).
Qed.

Variables (L : nat) (dL : nat -> R).
Let dlt := deltag sz f df (bt t0) x (Wt t0) L dL.

(** The contribution of layer [l]: [sum_j delta^l_j (sum_k dW^l_jk a^{l-1}_k + db^l_j)]. *)
Definition layer_term (l : nat) : R :=
  fsum (sz l) (fun j => dlt l j *
    (fsum (sz (l - 1)) (fun k => dW l j k * ag sz f x (Wt t0) (bt t0) (l - 1) k) + db l j)).

Lemma joint_step l :
  (1 <= l)%nat -> (S l <= L)%nat ->
  fsum (sz (S l)) (fun j => dlt (S l) j * zdot (S l) j)
  = layer_term (S l) + fsum (sz l) (fun k => dlt l k * zdot l k).
Proof.
  intros H1 H2. unfold layer_term. replace (S l - 1)%nat with l by lia.
  simpl zdot at 1. destruct l as [|p]; [lia|].
  unfold dlt at 3. rewrite delta_step_any by lia. fold dlt.
  unfold deltaf.
  set (zp := zg sz f x (Wt t0) (bt t0) (S p)).
  rewrite (fsum_ext (sz (S (S p))) _
    (fun j => dlt (S (S p)) j * (fsum (sz (S p)) (fun k => dW (S (S p)) j k
               * ag sz f x (Wt t0) (bt t0) (S p) k) + db (S (S p)) j)
             + fsum (sz (S p)) (fun k => dlt (S (S p)) j * Wt t0 (S (S p)) j k
               * (df (S p) (zp k) * zdot (S p) k)))).
  - rewrite fsum_plus, fsum_swap. f_equal. apply fsum_ext. intros k _.
    rewrite <- fsum_scal_r, <- fsum_scal_r. apply fsum_ext. intros i _.
    ring.
  - intros j _. rewrite fsum_plus.
    rewrite (fsum_ext _ (fun k => dlt (S (S p)) j * Wt t0 (S (S p)) j k
                                  * (df (S p) (zp k) * zdot (S p) k))
                        (fun k => dlt (S (S p)) j * (Wt t0 (S (S p)) j k
                                  * (df (S p) (zp k) * zdot (S p) k)))) by (intros; ring).
    rewrite fsum_scal_l. ring.
Qed.

(** [sum_j delta^l_j dz^l_j/dt = sum_{m=1..l} layer_term m]. *)
Lemma joint_telescope l :
  (1 <= l <= L)%nat ->
  fsum (sz l) (fun j => dlt l j * zdot l j) = fsum l (fun m => layer_term (S m)).
Proof.
  induction l as [|l IH]; intros Hl; [lia|].
  destruct l as [|p].
  - simpl fsum at 2. rewrite Rplus_0_l. unfold layer_term. simpl Nat.sub.
    apply fsum_ext. intros j _. f_equal. simpl zdot. f_equal.
    apply fsum_ext. intros k _. unfold ag. ring.
  - rewrite joint_step by lia. rewrite IH by lia.
    change (fsum (S (S p)) (fun m => layer_term (S m)))
      with (fsum (S p) (fun m => layer_term (S m)) + layer_term (S (S p))).
    ring.
Qed.

(** The joint gradient: along any parameter curve, the derivative of the
    cost is the sum over layers of the BP3/BP4 terms. *)
Theorem backprop_joint_gradient_any (g : (nat -> R) -> R) :
  (1 <= L)%nat ->
  has_grad (sz L) g (zg sz f x (Wt t0) (bt t0) L) dL ->
  is_derive (fun t => g (zg sz f x (Wt t) (bt t) L)) t0
            (fsum L (fun m => layer_term (S m))).
Proof.
  intros HL Hg.
  rewrite <- joint_telescope by lia.
  apply (is_derive_eq _ _ (fsum (sz L) (fun j => zdot L j * dL j))).
  - apply (Hg (fun t => zg sz f x (Wt t) (bt t) L) (zdot L) t0).
    + intros; reflexivity.
    + intros j _. destruct L as [|p]; [lia|]. apply zg_curve_derivative.
  - apply fsum_ext. intros j _. unfold dlt. rewrite deltag_top. ring.
Qed.

End Joint.

(** The sigmoid network (Deep.v): [delta^l] and [a^{l-1}] of Deep.v. *)
Theorem backprop_joint_gradient (sz : nat -> nat) (x : nat -> R)
  (Wt : R -> nat -> nat -> nat -> R) (bt : R -> nat -> nat -> R) (t0 : R)
  (dW : nat -> nat -> nat -> R) (db : nat -> nat -> R)
  (HW : forall l j k, is_derive (fun t => Wt t l j k) t0 (dW l j k))
  (Hb : forall l j, is_derive (fun t => bt t l j) t0 (db l j))
  L dL (g : (nat -> R) -> R) :
  (1 <= L)%nat ->
  has_grad (sz L) g (zfb sz x (Wt t0) (bt t0) L) dL ->
  is_derive (fun t => g (zfb sz x (Wt t) (bt t) L)) t0
    (fsum L (fun m => fsum (sz (S m)) (fun j => delta sz (bt t0) x (Wt t0) L dL (S m) j *
      (fsum (sz m) (fun k => dW (S m) j k * ain sz x (Wt t0) (bt t0) m k) + db (S m) j)))).
Proof.
  intros HL Hg.
  apply (is_derive_ext (fun t => g (zg sz (fun _ => sigma) x (Wt t) (bt t) L))).
  { intros t. now rewrite zg_sigmoid. }
  eapply is_derive_eq.
  - apply (backprop_joint_gradient_any sz (fun _ => sigma) (fun _ => sigma') x
             (fun _ => sigma'_is_derivative) Wt bt t0 dW db HW Hb L dL g HL).
    now rewrite zg_sigmoid.
  - apply fsum_ext. intros m _. unfold layer_term. replace (S m - 1)%nat with m by lia.
    apply fsum_ext. intros j _. unfold deltag, delta. rewrite dbackg_sigmoid.
    reflexivity. (* [ag] with [sigma] unfolds to [ain] *)
Qed.

(** ** The joint gradient as one [has_grad] statement

    Flatten every parameter into one vector [par] of length [nparams]:
    layer [S q] ([q < L]) occupies [sz (S q) * (sz q + 1)] entries from
    [off q] on; unit [j] holds [W^{S q}_j0 .. W^{S q}_j(sz q - 1)] and then
    [b^{S q}_j] ([pidx q j k], the bias at [k = sz q]).  [Wof par], [bof par]
    read the network back (0 outside the layout).  [backprop_flat_gradient]:
    the total cost [par |-> g (z^L)] has, in the composing sense of
    [has_grad], the gradient [flat_grad], which holds [delta^l_j a^{l-1}_k]
    at [W^l_jk]'s index and [delta^l_j] at [b^l_j]'s (BP3/BP4 of Deep.v):
    the layout is one-to-one ([pidx_inj]) and [flat_grad_entry] reads each
    entry back. *)

Section Flat.

Local Open Scope bool_scope.

Variables (sz : nat -> nat) (x : nat -> R) (L : nat).

Fixpoint off (q : nat) : nat :=
  match q with O => O | S p => (off p + sz (S p) * S (sz p))%nat end.

Definition pidx (q j k : nat) : nat := (off q + j * S (sz q) + k)%nat.

Definition nparams : nat := off L.

Definition Wof (par : nat -> R) (l j k : nat) : R :=
  match l with
  | O => 0
  | S q => if (q <? L) && (j <? sz (S q)) && (k <? sz q) then par (pidx q j k) else 0
  end.

Definition bof (par : nat -> R) (l j : nat) : R :=
  match l with
  | O => 0
  | S q => if (q <? L) && (j <? sz (S q)) then par (pidx q j (sz q)) else 0
  end.

(** A vector of length [nparams] from one value [v q j k] per parameter. *)
Definition flat (v : nat -> nat -> nat -> R) (i : nat) : R :=
  fsum L (fun q => fsum (sz (S q)) (fun j => fsum (S (sz q)) (fun k =>
    kron i (pidx q j k) * v q j k))).

(** The BP3/BP4 value for layer [S q], unit [j], entry [k] ([k = sz q]: bias),
    with hidden activations [f l] of derivative [df l] (Activations.v) ... *)
Definition gvalg (f df : nat -> R -> R) (p0 dL : nat -> R) (q j k : nat) : R :=
  if k <? sz q
  then deltag sz f df (bof p0) x (Wof p0) L dL (S q) j * ag sz f x (Wof p0) (bof p0) q k
  else deltag sz f df (bof p0) x (Wof p0) L dL (S q) j.

(** ... and for the sigmoid network (Deep.v). *)
Definition gval (p0 dL : nat -> R) (q j k : nat) : R :=
  if k <? sz q
  then delta sz (bof p0) x (Wof p0) L dL (S q) j * ain sz x (Wof p0) (bof p0) q k
  else delta sz (bof p0) x (Wof p0) L dL (S q) j.

Definition flat_grad (p0 dL : nat -> R) : nat -> R := flat (gval p0 dL).

Lemma gval_sigmoid p0 dL q j k :
  gvalg (fun _ => sigma) (fun _ => sigma') p0 dL q j k = gval p0 dL q j k.
Proof. unfold gvalg, gval, deltag, delta. now rewrite dbackg_sigmoid, ag_sigmoid. Qed.

Lemma off_mono a b : (a <= b)%nat -> (off a <= off b)%nat.
Proof.
  revert a. induction b as [|b IH]; intros a H; [replace a with O by lia; lia|].
  destruct (Nat.eq_dec a (S b)) as [->|Ne]; [lia|].
  specialize (IH a ltac:(lia)). simpl. nia.
Qed.

Lemma pidx_lt q j k :
  (q < L)%nat -> (j < sz (S q))%nat -> (k <= sz q)%nat -> (pidx q j k < nparams)%nat.
Proof.
  intros Hq Hj Hk. unfold pidx, nparams.
  pose proof (off_mono (S q) L Hq) as H. simpl in H.
  assert (H2 : (S j * S (sz q) <= sz (S q) * S (sz q))%nat)
    by (apply Nat.mul_le_mono_r; lia).
  simpl in H2. nia.
Qed.

Lemma andb3_true a b c : a && b && c = true -> a = true /\ b = true /\ c = true.
Proof. destruct a, b, c; simpl; intros H; try discriminate; auto. Qed.

Lemma andb2_true a b : a && b = true -> a = true /\ b = true.
Proof. destruct a, b; simpl; intros H; try discriminate; auto. Qed.

Lemma Wof_in par q j k :
  (q < L)%nat -> (j < sz (S q))%nat -> (k < sz q)%nat -> Wof par (S q) j k = par (pidx q j k).
Proof.
  intros Hq Hj Hk. unfold Wof.
  rewrite (proj2 (Nat.ltb_lt q L) Hq), (proj2 (Nat.ltb_lt j _) Hj),
    (proj2 (Nat.ltb_lt k _) Hk). reflexivity.
Qed.

Lemma bof_in par q j :
  (q < L)%nat -> (j < sz (S q))%nat -> bof par (S q) j = par (pidx q j (sz q)).
Proof.
  intros Hq Hj. unfold bof.
  rewrite (proj2 (Nat.ltb_lt q L) Hq), (proj2 (Nat.ltb_lt j _) Hj). reflexivity.
Qed.

Lemma Wof_ext p p' :
  (forall i, (i < nparams)%nat -> p i = p' i) -> Wof p = Wof p' /\ bof p = bof p'.
Proof.
  intros H. split.
  - apply functional_extensionality. intros l. apply functional_extensionality. intros j.
    apply functional_extensionality. intros k. unfold Wof. destruct l as [|q]; [reflexivity|].
    destruct ((q <? L) && (j <? sz (S q)) && (k <? sz q)) eqn:E; [|reflexivity].
    apply andb3_true in E. destruct E as [E1 [E2 E3]].
    apply Nat.ltb_lt in E1, E2, E3. apply H, pidx_lt; lia.
  - apply functional_extensionality. intros l. apply functional_extensionality. intros j.
    unfold bof. destruct l as [|q]; [reflexivity|].
    destruct ((q <? L) && (j <? sz (S q))) eqn:E; [|reflexivity].
    apply andb2_true in E. destruct E as [E1 E2].
    apply Nat.ltb_lt in E1, E2. apply H, pidx_lt; lia.
Qed.

(** Sifting through three nested sums of Kronecker deltas. *)
Lemma sift3 N A (B C : nat -> nat) (idx : nat -> nat -> nat -> nat)
  (v : nat -> nat -> nat -> R) (dc : nat -> R) :
  (forall m j k, (m < A)%nat -> (j < B m)%nat -> (k < C m)%nat -> (idx m j k < N)%nat) ->
  fsum N (fun i => dc i * fsum A (fun m => fsum (B m) (fun j => fsum (C m) (fun k =>
    kron i (idx m j k) * v m j k))))
  = fsum A (fun m => fsum (B m) (fun j => fsum (C m) (fun k => dc (idx m j k) * v m j k))).
Proof.
  intros H.
  rewrite (fsum_ext N _ (fun i => fsum A (fun m => fsum (B m) (fun j => fsum (C m)
             (fun k => kron i (idx m j k) * (dc i * v m j k)))))).
  2: { intros i _. rewrite <- fsum_scal_l. apply fsum_ext. intros m _.
       rewrite <- fsum_scal_l. apply fsum_ext. intros j _.
       rewrite <- fsum_scal_l. apply fsum_ext. intros k _. ring. }
  rewrite fsum_swap. apply fsum_ext. intros m Hm.
  rewrite fsum_swap. apply fsum_ext. intros j Hj.
  rewrite fsum_swap. apply fsum_ext. intros k Hk.
  apply (fsum_kron N (idx m j k) (fun i => dc i * v m j k)), H; assumption.
Qed.

Lemma fsum_S n f : fsum (S n) f = fsum n f + f n.
Proof. reflexivity. Qed.

(** The joint gradient: one [has_grad] statement over all parameters, any
    hidden activations differentiable everywhere. *)
Theorem backprop_flat_gradient_any (f df : nat -> R -> R) (g : (nat -> R) -> R)
  (p0 dL : nat -> R) :
  (forall l t, is_derive (f l) t (df l t)) -> (1 <= L)%nat ->
  has_grad (sz L) g (zg sz f x (Wof p0) (bof p0) L) dL ->
  has_grad nparams (fun par => g (zg sz f x (Wof par) (bof par) L)) p0
           (flat (gvalg f df p0 dL)).
Proof.
  intros Hf HL Hg c dc t0 Hc0 Hdc.
  assert (HW : forall l j k, is_derive (fun t => Wof (c t) l j k) t0 (Wof dc l j k)).
  { intros l j k. unfold Wof. destruct l as [|q]; [apply is_derive_const_R|].
    destruct ((q <? L) && (j <? sz (S q)) && (k <? sz q)) eqn:E; [|apply is_derive_const_R].
    apply andb3_true in E. destruct E as [E1 [E2 E3]].
    apply Nat.ltb_lt in E1, E2, E3. apply Hdc, pidx_lt; lia. }
  assert (Hb : forall l j, is_derive (fun t => bof (c t) l j) t0 (bof dc l j)).
  { intros l j. unfold bof. destruct l as [|q]; [apply is_derive_const_R|].
    destruct ((q <? L) && (j <? sz (S q))) eqn:E; [|apply is_derive_const_R].
    apply andb2_true in E. destruct E as [E1 E2].
    apply Nat.ltb_lt in E1, E2. apply Hdc, pidx_lt; lia. }
  destruct (Wof_ext (c t0) p0 Hc0) as [EW Eb].
  assert (Hg' : has_grad (sz L) g (zg sz f x (Wof (c t0)) (bof (c t0)) L) dL)
    by (rewrite EW, Eb; exact Hg).
  pose proof (backprop_joint_gradient_any sz f df x Hf (fun t => Wof (c t))
                (fun t => bof (c t)) t0 (Wof dc) (bof dc) HW Hb L dL g HL Hg') as J.
  eapply is_derive_eq; [exact J|].
  unfold flat. rewrite sift3.
  2: { intros q j k Hq Hj Hk. apply pidx_lt; lia. }
  apply fsum_ext. intros q Hq. unfold layer_term. replace (S q - 1)%nat with q by lia.
  cbv beta. rewrite EW, Eb. apply fsum_ext. intros j Hj.
  rewrite fsum_S, Rmult_plus_distr_l. f_equal.
  - rewrite <- fsum_scal_l. apply fsum_ext. intros k Hk. unfold gvalg.
    rewrite (Wof_in dc q j k Hq Hj Hk), (proj2 (Nat.ltb_lt k _) Hk). ring.
  - unfold gvalg. rewrite (bof_in dc q j Hq Hj), Nat.ltb_irrefl. ring.
Qed.

(** The sigmoid network (Deep.v). *)
Theorem backprop_flat_gradient (g : (nat -> R) -> R) (p0 dL : nat -> R) :
  (1 <= L)%nat ->
  has_grad (sz L) g (zfb sz x (Wof p0) (bof p0) L) dL ->
  has_grad nparams (fun par => g (zfb sz x (Wof par) (bof par) L)) p0 (flat_grad p0 dL).
Proof.
  intros HL Hg.
  replace (fun par => g (zfb sz x (Wof par) (bof par) L))
    with (fun par => g (zg sz (fun _ => sigma) x (Wof par) (bof par) L))
    by (apply functional_extensionality; intros par; now rewrite zg_sigmoid).
  replace (flat_grad p0 dL) with (flat (gvalg (fun _ => sigma) (fun _ => sigma') p0 dL)).
  - apply (backprop_flat_gradient_any _ _ g p0 dL (fun _ => sigma'_is_derivative) HL).
    now rewrite zg_sigmoid.
  - unfold flat_grad. apply functional_extensionality. intros i. unfold flat.
    apply fsum_ext. intros q _. apply fsum_ext. intros j _. apply fsum_ext. intros k _.
    now rewrite gval_sigmoid.
Qed.

(** The layout is one-to-one, so entry [pidx q j k] of [flat_grad] is
    exactly the BP3/BP4 value [gval q j k]. *)
Lemma pidx_block q j k :
  (j < sz (S q))%nat -> (k <= sz q)%nat ->
  (off q <= pidx q j k < off (S q))%nat.
Proof.
  intros Hj Hk. unfold pidx. simpl off.
  assert (H2 : (S j * S (sz q) <= sz (S q) * S (sz q))%nat)
    by (apply Nat.mul_le_mono_r; lia).
  simpl in H2. lia.
Qed.

Lemma pidx_inj q j k q' j' k' :
  (j < sz (S q))%nat -> (k <= sz q)%nat -> (j' < sz (S q'))%nat -> (k' <= sz q')%nat ->
  pidx q j k = pidx q' j' k' -> q = q' /\ j = j' /\ k = k'.
Proof.
  intros Hj Hk Hj' Hk' E.
  pose proof (pidx_block q j k Hj Hk) as B. pose proof (pidx_block q' j' k' Hj' Hk') as B'.
  assert (Q : q = q').
  { destruct (Nat.lt_trichotomy q q') as [H|[H|H]]; [|exact H|].
    - pose proof (off_mono (S q) q' H). lia.
    - pose proof (off_mono (S q') q H). lia. }
  subst q'. split; [reflexivity|]. unfold pidx in E.
  assert (J : j = j').
  { destruct (Nat.lt_trichotomy j j') as [H|[H|H]]; [|exact H|].
    - assert (S j * S (sz q) <= j' * S (sz q))%nat by (apply Nat.mul_le_mono_r; lia).
      simpl in *. lia.
    - assert (S j' * S (sz q) <= j * S (sz q))%nat by (apply Nat.mul_le_mono_r; lia).
      simpl in *. lia. }
  subst j'. split; [reflexivity|]. lia.
Qed.

Lemma kron_pidx q j k q0 j0 k0 :
  (j < sz (S q))%nat -> (k <= sz q)%nat -> (j0 < sz (S q0))%nat -> (k0 <= sz q0)%nat ->
  kron (pidx q0 j0 k0) (pidx q j k) = kron q q0 * (kron j j0 * kron k k0).
Proof.
  intros Hj Hk Hj0 Hk0. unfold kron.
  destruct (Nat.eqb (pidx q0 j0 k0) (pidx q j k)) eqn:E.
  - apply Nat.eqb_eq in E. destruct (pidx_inj q0 j0 k0 q j k Hj0 Hk0 Hj Hk E) as [-> [-> ->]].
    rewrite !Nat.eqb_refl. ring.
  - destruct (Nat.eqb q q0) eqn:E1; [|ring]. destruct (Nat.eqb j j0) eqn:E2; [|ring].
    destruct (Nat.eqb k k0) eqn:E3; [|ring].
    apply Nat.eqb_eq in E1, E2, E3. subst. rewrite Nat.eqb_refl in E. discriminate.
Qed.

Lemma flat_entry v q j k :
  (q < L)%nat -> (j < sz (S q))%nat -> (k <= sz q)%nat -> flat v (pidx q j k) = v q j k.
Proof.
  intros Hq Hj Hk. unfold flat.
  rewrite (fsum_ext L _ (fun q' => kron q' q * fsum (sz (S q')) (fun j' =>
             kron j' j * fsum (S (sz q')) (fun k' => kron k' k * v q' j' k')))).
  - rewrite fsum_kron by exact Hq. rewrite fsum_kron by exact Hj.
    rewrite fsum_kron by lia. reflexivity.
  - intros q' Hq'. destruct (Nat.eqb q' q) eqn:E1.
    + apply Nat.eqb_eq in E1. subst q'. rewrite <- fsum_scal_l. apply fsum_ext.
      intros j' Hj'. rewrite <- fsum_scal_l, <- fsum_scal_l. apply fsum_ext. intros k' Hk'.
      rewrite (kron_pidx q j' k' q j k) by lia. ring.
    + assert (Z : kron q' q = 0) by (unfold kron; rewrite E1; reflexivity).
      rewrite Z, Rmult_0_l.
      rewrite <- (fsum_zero (sz (S q'))). apply fsum_ext. intros j' Hj'.
      rewrite <- (fsum_zero (S (sz q'))). apply fsum_ext. intros k' Hk'.
      rewrite (kron_pidx q' j' k' q j k) by lia. rewrite Z. ring.
Qed.

Theorem flat_grad_entry p0 dL q j k :
  (q < L)%nat -> (j < sz (S q))%nat -> (k <= sz q)%nat ->
  flat_grad p0 dL (pidx q j k) = gval p0 dL q j k.
Proof. apply flat_entry. Qed.

End Flat.
