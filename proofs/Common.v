(** * Common: finite sums, coordinate updates, gradients

    Shared vocabulary for the other files.
    - [fsum n f] is the finite sum [f 0 + f 1 + ... + f (n-1)]: vectors of
      any length [n] are functions [nat -> R] of which only the indices
      [0 .. n-1] matter.
    - [upd z k t] is the vector [z] with its coordinate [k] replaced by [t]:
      a partial derivative [dC/dz_k] is the ordinary derivative of
      [t |-> C (upd z k t)] at [t = z k].
    - [has_gradient n g z d] says that the cost [g] has gradient [d] at [z]:
      along every direction [v], the derivative of [s |-> g (z + s v)] at
      [s = 0] is the dot product [sum_i v_i d_i].  This is what "[delta] is
      [dC/dz]" means in the backpropagation equations. *)

From Coq Require Import Reals Lra Lia Arith.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.

Fixpoint fsum (n : nat) (f : nat -> R) : R :=
  match n with
  | O => 0
  | S m => fsum m f + f m
  end.

Lemma fsum_ext n f g :
  (forall i, (i < n)%nat -> f i = g i) -> fsum n f = fsum n g.
Proof.
  induction n as [|n IH]; intros H; simpl; [reflexivity|].
  rewrite IH by (intros i Hi; apply H; lia).
  rewrite (H n) by lia. reflexivity.
Qed.

Lemma fsum_plus n f g :
  fsum n (fun i => f i + g i) = fsum n f + fsum n g.
Proof. induction n as [|n IH]; simpl; [lra|]. rewrite IH. lra. Qed.

Lemma fsum_minus n f g :
  fsum n (fun i => f i - g i) = fsum n f - fsum n g.
Proof. induction n as [|n IH]; simpl; [lra|]. rewrite IH. lra. Qed.

Lemma fsum_scal_l n c f :
  fsum n (fun i => c * f i) = c * fsum n f.
Proof. induction n as [|n IH]; simpl; [lra|]. rewrite IH. lra. Qed.

Lemma fsum_scal_r n c f :
  fsum n (fun i => f i * c) = fsum n f * c.
Proof. induction n as [|n IH]; simpl; [lra|]. rewrite IH. lra. Qed.

Lemma fsum_zero n : fsum n (fun _ => 0) = 0.
Proof. induction n as [|n IH]; simpl; [lra|]. rewrite IH. lra. Qed.

Lemma fsum_const n c : fsum n (fun _ => c) = INR n * c.
Proof.
  induction n as [|n IH]; simpl fsum; [simpl; lra|].
  rewrite IH, S_INR. lra.
Qed.

Lemma fsum_nonneg n f :
  (forall i, (i < n)%nat -> 0 <= f i) -> 0 <= fsum n f.
Proof.
  induction n as [|n IH]; intros H; simpl; [lra|].
  assert (0 <= fsum n f) by (apply IH; intros; apply H; lia).
  assert (0 <= f n) by (apply H; lia). lra.
Qed.

(** The triangle inequality over a finite sum. *)
Lemma fsum_abs n f : Rabs (fsum n f) <= fsum n (fun k => Rabs (f k)).
Proof.
  induction n as [|n IH]; simpl; [rewrite Rabs_R0; lra|].
  eapply Rle_trans; [apply Rabs_triang|]. lra.
Qed.

Lemma fsum_pos n f :
  (1 <= n)%nat -> (forall i, (i < n)%nat -> 0 < f i) -> 0 < fsum n f.
Proof.
  intros Hn H. destruct n as [|n]; [lia|]. simpl.
  assert (0 <= fsum n f) by (apply fsum_nonneg; intros; left; apply H; lia).
  assert (0 < f n) by (apply H; lia). lra.
Qed.

Lemma fsum_le n f g :
  (forall i, (i < n)%nat -> f i <= g i) -> fsum n f <= fsum n g.
Proof.
  induction n as [|n IH]; intros H; simpl; [lra|].
  assert (fsum n f <= fsum n g) by (apply IH; intros; apply H; lia).
  assert (f n <= g n) by (apply H; lia). lra.
Qed.

(** Kronecker delta [1[i = k]]. *)
Definition kron (i k : nat) : R := if Nat.eqb i k then 1 else 0.

(** Sifting: [sum_i 1[i=k] c_i = c_k] when [k] is a valid index. *)
Lemma fsum_kron n k c :
  (k < n)%nat -> fsum n (fun i => kron i k * c i) = c k.
Proof.
  induction n as [|n IH]; intros Hk; [lia|]. simpl.
  unfold kron at 2. destruct (Nat.eqb n k) eqn:E.
  - apply Nat.eqb_eq in E. subst n.
    rewrite (fsum_ext _ _ (fun _ => 0)).
    + rewrite fsum_zero. lra.
    + intros i Hi. unfold kron.
      destruct (Nat.eqb i k) eqn:E'; [apply Nat.eqb_eq in E'; lia|lra].
  - apply Nat.eqb_neq in E. rewrite IH by lia. lra.
Qed.

(** One term of a sum, and the rest. *)
Lemma fsum_split n k f :
  (k < n)%nat ->
  fsum n f = f k + fsum n (fun i => if Nat.eqb i k then 0 else f i).
Proof.
  intros Hk.
  assert (E : fsum n f =
              fsum n (fun i => kron i k * f k
                            + (if Nat.eqb i k then 0 else f i))).
  { apply fsum_ext. intros i _. unfold kron.
    destruct (Nat.eqb i k) eqn:E; [apply Nat.eqb_eq in E; subst; lra|lra]. }
  rewrite E, fsum_plus, fsum_kron by exact Hk. reflexivity.
Qed.

(** A sum of non-negative terms is at least each of its terms. *)
Lemma fsum_term_le n f k :
  (forall i, (i < n)%nat -> 0 <= f i) -> (k < n)%nat -> f k <= fsum n f.
Proof.
  intros H Hk. rewrite (fsum_split n k) by exact Hk.
  assert (0 <= fsum n (fun i => if Nat.eqb i k then 0 else f i)).
  { apply fsum_nonneg. intros i Hi. destruct (Nat.eqb i k); [lra|auto]. }
  lra.
Qed.

(** A sum of non-negative terms with one positive term is positive. *)
Lemma fsum_pos_one n k f :
  (k < n)%nat -> (forall i, (i < n)%nat -> 0 <= f i) -> 0 < f k ->
  0 < fsum n f.
Proof.
  intros Hk H Hpos. pose proof (fsum_term_le n f k H Hk). lra.
Qed.

Definition upd (z : nat -> R) (k : nat) (t : R) : nat -> R :=
  fun i => if Nat.eqb i k then t else z i.

Lemma upd_same z k t : upd z k t k = t.
Proof. unfold upd. now rewrite Nat.eqb_refl. Qed.

Lemma upd_other z k t i : i <> k -> upd z k t i = z i.
Proof. intros H. unfold upd. apply Nat.eqb_neq in H. now rewrite H. Qed.

Lemma upd_self z k i : upd z k (z k) i = z i.
Proof.
  unfold upd. destruct (Nat.eqb i k) eqn:E; [apply Nat.eqb_eq in E; subst|];
  reflexivity.
Qed.

Lemma upd_as_shift z k t i :
  upd z k t i = z i + (t - z k) * kron i k.
Proof.
  unfold upd, kron. destruct (Nat.eqb i k) eqn:E.
  - apply Nat.eqb_eq in E. subst. lra.
  - lra.
Qed.

(** Real-valued forms of Coquelicot's derivative rules. *)
Lemma is_derive_Rplus (f g : R -> R) x df dg :
  is_derive f x df -> is_derive g x dg ->
  is_derive (fun t => f t + g t) x (df + dg).
Proof. intros Hf Hg. exact (is_derive_plus f g x df dg Hf Hg). Qed.

Lemma is_derive_Rcomp (f g : R -> R) x df dg :
  is_derive f (g x) df -> is_derive g x dg ->
  is_derive (fun t => f (g t)) x (dg * df).
Proof. intros Hf Hg. exact (is_derive_comp f g x df dg Hf Hg). Qed.

Lemma is_derive_const_R (c x : R) : is_derive (fun _ => c) x 0.
Proof. auto_derive; [exact I|ring]. Qed.

Lemma is_derive_id_R (x : R) : is_derive (fun t => t) x 1.
Proof. auto_derive; [exact I|ring]. Qed.

Lemma is_derive_fsum n (f : nat -> R -> R) (df : nat -> R) x :
  (forall i, (i < n)%nat -> is_derive (f i) x (df i)) ->
  is_derive (fun t => fsum n (fun i => f i t)) x (fsum n df).
Proof.
  induction n as [|n IH]; intros H; simpl.
  - apply is_derive_const_R.
  - apply is_derive_Rplus.
    + apply IH. intros i Hi. apply H. lia.
    + apply H. lia.
Qed.

(** ** Costs as functions of a vector, and their gradient *)

(** A cost of an [n]-vector depends only on coordinates [0 .. n-1]. *)
Definition respects (n : nat) (g : (nat -> R) -> R) : Prop :=
  forall u v, (forall i, (i < n)%nat -> u i = v i) -> g u = g v.

(** [d] is the gradient of [g] at [z]: every directional derivative
    is the dot product with [d]. *)
Definition has_gradient (n : nat) (g : (nat -> R) -> R) (z d : nat -> R)
  : Prop :=
  forall v : nat -> R,
    is_derive (fun s => g (fun i => z i + s * v i)) 0
              (fsum n (fun i => v i * d i)).

(** A gradient gives every partial derivative: [dg/dz_k = d_k]. *)
Theorem gradient_gives_partial n g z d k :
  respects n g -> has_gradient n g z d -> (k < n)%nat ->
  is_derive (fun t => g (upd z k t)) (z k) (d k).
Proof.
  intros Hr Hg Hk.
  pose (h := fun s => g (fun i => z i + s * kron i k)).
  assert (Hh : is_derive h (z k - z k) (d k)).
  { replace (z k - z k) with 0 by ring.
    rewrite <- (fsum_kron n k d Hk). apply (Hg (fun i => kron i k)). }
  pose proof (is_derive_Rcomp h (fun t => t - z k) (z k) (d k) 1 Hh) as Hc.
  replace (1 * d k) with (d k) in Hc by ring.
  apply (is_derive_ext (fun t => h (t - z k))).
  - intros t. unfold h. apply Hr. intros i _. rewrite upd_as_shift. ring.
  - apply Hc. auto_derive; [exact I|ring].
Qed.

(** ** Linear maps of one coordinate *)

(** [t |-> sum_i (upd w j t)_i c_i] has slope [c_j] everywhere. *)
Lemma is_derive_dot_upd m (w c : nat -> R) j x :
  (j < m)%nat ->
  is_derive (fun t => fsum m (fun i => upd w j t i * c i)) x (c j).
Proof.
  intros Hj. rewrite <- (fsum_kron m j c Hj).
  apply is_derive_fsum. intros i _. unfold upd, kron.
  destruct (Nat.eqb i j); auto_derive; try exact I; ring.
Qed.

Lemma fsum_upd_self m (w c : nat -> R) j :
  fsum m (fun i => upd w j (w j) i * c i) = fsum m (fun i => w i * c i).
Proof. apply fsum_ext. intros i _. now rewrite upd_self. Qed.

Lemma is_derive_Rscal (f : R -> R) c x d :
  is_derive f x d -> is_derive (fun t => c * f t) x (c * d).
Proof.
  intros H. rewrite Rmult_comm.
  apply (is_derive_Rcomp (fun u => c * u) f x c d); [|exact H].
  auto_derive; [exact I|ring].
Qed.

(** Changing one coordinate [j] of [z] inside [sum_i c_i f(z_i)] adds
    [c_j (f t - f z_j)]. *)
Lemma fsum_upd_map n (c : nat -> R) (f : R -> R) (z : nat -> R) j t :
  (j < n)%nat ->
  fsum n (fun i => c i * f (upd z j t i))
  = fsum n (fun i => c i * f (z i)) + c j * (f t - f (z j)).
Proof.
  intros Hj.
  rewrite <- (fsum_kron n j (fun _ => c j * (f t - f (z j))) Hj), <- fsum_plus.
  apply fsum_ext. intros i _. unfold upd, kron.
  destruct (Nat.eqb i j) eqn:E; [apply Nat.eqb_eq in E; subst; ring|ring].
Qed.

Lemma fsum_upd_dot n (w c : nat -> R) k t :
  (k < n)%nat ->
  fsum n (fun i => upd w k t i * c i)
  = fsum n (fun i => w i * c i) + (t - w k) * c k.
Proof.
  intros Hk.
  rewrite <- (fsum_kron n k (fun i => (t - w k) * c i) Hk), <- fsum_plus.
  apply fsum_ext. intros i _. rewrite upd_as_shift. unfold kron.
  destruct (Nat.eqb i k) eqn:E; [apply Nat.eqb_eq in E; subst; ring|ring].
Qed.
