(** * Joint: the gradient with respect to all parameters at once

    Move every weight and bias of a depth-[L] network at the same time along
    a curve [t |-> (W(t), b(t))] through [(W, b) = (W(t0), b(t0))] whose
    entries are differentiable at [t0] (derivatives [dW], [db]).  Then
    [d/dt C] at [t0] is
    [sum_{l=1..L} sum_j delta^l_j (sum_k dW^l_jk a^{l-1}_k + db^l_j)]:
    the parameters' gradient is exactly the BP3/BP4 array of Deep.v
    ([backprop_joint_gradient]).  The proof differentiates [z^l(t)] layer by
    layer ([zfb_curve_derivative]) and telescopes with BP2
    ([joint_telescope]).
    C: [gp_backprop_batch], [gp_total_gradient] (src/backprop.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient Deep.
Open Scope R_scope.

Lemma is_derive_Rmult (f g : R -> R) (x df dg : R) :
  is_derive f x df -> is_derive g x dg ->
  is_derive (fun t => f t * g t) x (df * g x + f x * dg).
Proof.
  intros Hf Hg. apply (is_derive_mult f g x df dg Hf Hg). intros. apply Rmult_comm.
Qed.

Section Joint.

Variables (sz : nat -> nat) (x : nat -> R).
Variables (Wt : R -> nat -> nat -> nat -> R) (bt : R -> nat -> nat -> R) (t0 : R).
Variables (dW : nat -> nat -> nat -> R) (db : nat -> nat -> R).
Hypothesis HW : forall l j k, is_derive (fun t => Wt t l j k) t0 (dW l j k).
Hypothesis Hb : forall l j, is_derive (fun t => bt t l j) t0 (db l j).

(** [dz^l/dt], layer by layer. *)
Fixpoint zdot (l : nat) : nat -> R :=
  match l with
  | O => fun _ => 0
  | S p => fun j =>
      fsum (sz p) (fun k => dW (S p) j k * ain sz x (Wt t0) (bt t0) p k
        + Wt t0 (S p) j k
          * match p with
            | O => 0
            | S _ => sigma' (zfb sz x (Wt t0) (bt t0) p k) * zdot p k
            end)
      + db (S p) j
  end.

Definition adot (p k : nat) : R :=
  match p with
  | O => 0
  | S _ => sigma' (zfb sz x (Wt t0) (bt t0) p k) * zdot p k
  end.

Lemma zfb_curve_derivative p j :
  is_derive (fun t => zfb sz x (Wt t) (bt t) (S p) j) t0 (zdot (S p) j).
Proof.
  revert j. induction p as [p IH] using lt_wf_ind. intros j.
  apply (is_derive_ext (fun t => fsum (sz p) (fun k => Wt t (S p) j k
                                  * ain sz x (Wt t) (bt t) p k) + bt t (S p) j));
    [intros; reflexivity|].
  change (zdot (S p) j) with (fsum (sz p) (fun k => dW (S p) j k
      * ain sz x (Wt t0) (bt t0) p k + Wt t0 (S p) j k * adot p k) + db (S p) j).
  apply (is_derive_Rplus _ (fun t => bt t (S p) j)); [|apply Hb].
  apply (is_derive_fsum (sz p) (fun k t => Wt t (S p) j k * ain sz x (Wt t) (bt t) p k)).
  intros k _.
  assert (Hg : is_derive (fun t => ain sz x (Wt t) (bt t) p k) t0 (adot p k)).
  { destruct p as [|q].
    - exact (is_derive_const_R (x k) t0).
    - change (is_derive (fun t => sigma (zfb sz x (Wt t) (bt t) (S q) k)) t0
                (sigma' (zfb sz x (Wt t0) (bt t0) (S q) k) * zdot (S q) k)).
      rewrite Rmult_comm.
      apply (is_derive_Rcomp sigma (fun t => zfb sz x (Wt t) (bt t) (S q) k) t0
               (sigma' (zfb sz x (Wt t0) (bt t0) (S q) k)) (zdot (S q) k));
        [apply sigma'_is_derivative|].
      apply IH. lia. }
  exact (is_derive_Rmult (fun t => Wt t (S p) j k) (fun t => ain sz x (Wt t) (bt t) p k)
           t0 (dW (S p) j k) (adot p k) (HW (S p) j k) Hg).
Qed.

Variables (L : nat) (dL : nat -> R).
Let dlt := delta sz (bt t0) x (Wt t0) L dL.

(** The contribution of layer [l]: [sum_j delta^l_j (sum_k dW^l_jk a^{l-1}_k + db^l_j)]. *)
Definition layer_term (l : nat) : R :=
  fsum (sz l) (fun j => dlt l j *
    (fsum (sz (l - 1)) (fun k => dW l j k * ain sz x (Wt t0) (bt t0) (l - 1) k) + db l j)).

Lemma joint_step l :
  (1 <= l)%nat -> (S l <= L)%nat ->
  fsum (sz (S l)) (fun j => dlt (S l) j * zdot (S l) j)
  = layer_term (S l) + fsum (sz l) (fun k => dlt l k * zdot l k).
Proof.
  intros H1 H2. unfold layer_term. replace (S l - 1)%nat with l by lia.
  simpl zdot at 1. destruct l as [|p]; [lia|].
  unfold dlt at 3. rewrite delta_step by lia. fold dlt.
  unfold delta1.
  set (zp := zfb sz x (Wt t0) (bt t0) (S p)).
  rewrite (fsum_ext (sz (S (S p))) _
    (fun j => dlt (S (S p)) j * (fsum (sz (S p)) (fun k => dW (S (S p)) j k
               * ain sz x (Wt t0) (bt t0) (S p) k) + db (S (S p)) j)
             + fsum (sz (S p)) (fun k => dlt (S (S p)) j * Wt t0 (S (S p)) j k
               * (sigma' (zp k) * zdot (S p) k)))).
  - rewrite fsum_plus, fsum_swap. f_equal. apply fsum_ext. intros k _.
    rewrite <- fsum_scal_r, <- fsum_scal_r. apply fsum_ext. intros i _.
    ring.
  - intros j _. rewrite fsum_plus.
    rewrite (fsum_ext _ (fun k => dlt (S (S p)) j * Wt t0 (S (S p)) j k
                                  * (sigma' (zp k) * zdot (S p) k))
                        (fun k => dlt (S (S p)) j * (Wt t0 (S (S p)) j k
                                  * (sigma' (zp k) * zdot (S p) k)))) by (intros; ring).
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
    apply fsum_ext. intros k _. unfold ain. ring.
  - rewrite joint_step by lia. rewrite IH by lia.
    change (fsum (S (S p)) (fun m => layer_term (S m)))
      with (fsum (S p) (fun m => layer_term (S m)) + layer_term (S (S p))).
    ring.
Qed.

(** The joint gradient: along any parameter curve, the derivative of the
    cost is the sum over layers of the BP3/BP4 terms. *)
Theorem backprop_joint_gradient (g : (nat -> R) -> R) :
  (1 <= L)%nat ->
  has_grad (sz L) g (zfb sz x (Wt t0) (bt t0) L) dL ->
  is_derive (fun t => g (zfb sz x (Wt t) (bt t) L)) t0
            (fsum L (fun m => layer_term (S m))).
Proof.
  intros HL Hg.
  rewrite <- joint_telescope by lia.
  apply (is_derive_eq _ _ (fsum (sz L) (fun j => zdot L j * dL j))).
  - apply (Hg (fun t => zfb sz x (Wt t) (bt t) L) (zdot L) t0).
    + intros; reflexivity.
    + intros j _. destruct L as [|p]; [lia|]. apply zfb_curve_derivative.
  - apply fsum_ext. intros j _. unfold dlt. rewrite delta_top. ring.
Qed.

End Joint.
