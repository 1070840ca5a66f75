(** * Deep: backpropagation at any depth [L], any widths

    A network of [L] layers with widths [sz 0, sz 1, ..., sz L]:
    [z^1 = W^1 x + b^1], [z^l = W^l sigma(z^{l-1}) + b^l] for [2 <= l <= L],
    and a cost [g] of the output pre-activation [z^L] with gradient
    [delta^L] in the sense of [has_grad] (Gradient.v).  [W l j k] is
    [W^l_jk], [b l j] is [b^l_j]; [a^0 = x] and [a^l = sigma(z^l)].
    - [bp1_output_error_any_cost]: for a cost [C] of the activations with
      gradient [grad_a C], [delta^L = grad_a C (.) sigma'(z^L)] (BP1).
    - [bp2_hidden_error_any_depth]: the cost as a function of [z^l] has
      gradient [delta^l], where [delta^l = ((W^{l+1})^T delta^{l+1}) (.)
      sigma'(z^l)] (BP2; [delta_step] is that recursion).
    - [bp3_bias_any_depth]: [dC/db^l_j = delta^l_j] (BP3).
    - [bp4_weight_any_depth]: [dC/dW^l_jk = delta^l_j a^{l-1}_k] (BP4).
    Each is the real derivative of the total cost [g (z^L)] with respect to
    one parameter, every other parameter fixed.
    C: [gp_backprop_batch], [gpi_step_upper] (src/backprop.c). *)

From Coq Require Import Reals Lra Lia FunctionalExtensionality.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient Backprop.
Open Scope R_scope.

Section Network.

Variables (sz : nat -> nat) (b : nat -> nat -> R) (x : nat -> R).

(** [z^l] for weights [W] (biases [b] and input [x] fixed, or see [zfb]). *)
Fixpoint zfb (W : nat -> nat -> nat -> R) (b : nat -> nat -> R) (l : nat)
  : nat -> R :=
  match l with
  | O => x
  | S p => layer (sz p) (W l) (b l)
             (match p with O => x | S _ => act (zfb W b p) end)
  end.

(** [a^p]: the input for [p = 0], [sigma(z^p)] otherwise. *)
Definition ain W b p : nat -> R :=
  match p with O => x | S _ => act (zfb W b p) end.

Lemma zfb_S W b' p : zfb W b' (S p) = layer (sz p) (W (S p)) (b' (S p)) (ain W b' p).
Proof. reflexivity. Qed.

(** The network from [z^l] on: [k] more layers. *)
Fixpoint fwd (W : nat -> nat -> nat -> R) (b : nat -> nat -> R) (k l : nat)
  (z : nat -> R) : nat -> R :=
  match k with
  | O => z
  | S k' => fwd W b k' (S l) (layer (sz l) (W (S l)) (b (S l)) (act z))
  end.

Lemma fwd_zfb W b' k l :
  (1 <= l)%nat -> fwd W b' k l (zfb W b' l) = zfb W b' (l + k).
Proof.
  revert l. induction k as [|k IH]; intros l Hl.
  - rewrite Nat.add_0_r. reflexivity.
  - simpl. destruct l as [|p]; [lia|].
    replace (S p + S k)%nat with (S (S p) + k)%nat by lia.
    rewrite <- IH by lia. reflexivity.
Qed.

(** [fwd] uses only the layers above [l]. *)
Lemma fwd_above W W' b' b'' k l z :
  (forall m, (l < m)%nat -> W' m = W m /\ b'' m = b' m) ->
  fwd W' b'' k l z = fwd W b' k l z.
Proof.
  revert l z. induction k as [|k IH]; intros l z H; [reflexivity|].
  simpl. destruct (H (S l)) as [E1 E2]; [lia|]. rewrite E1, E2.
  apply IH. intros m Hm. apply H. lia.
Qed.

(** [z^p] uses only the layers up to [p]. *)
Lemma zfb_below W W' b' b'' p :
  (forall m, (1 <= m <= p)%nat -> W' m = W m /\ b'' m = b' m) ->
  zfb W' b'' p = zfb W b' p.
Proof.
  induction p as [|p IH]; intros H; [reflexivity|].
  rewrite !zfb_S. destruct (H (S p)) as [E1 E2]; [lia|]. rewrite E1, E2.
  unfold ain. destruct p as [|q]; [reflexivity|].
  rewrite IH; [reflexivity|]. intros m Hm. apply H. lia.
Qed.

Lemma ain_below W W' b' b'' p :
  (forall m, (1 <= m <= p)%nat -> W' m = W m /\ b'' m = b' m) ->
  ain W' b'' p = ain W b' p.
Proof.
  intros H. unfold ain. destruct p; [reflexivity|].
  rewrite (zfb_below W W' b' b''); [reflexivity|exact H].
Qed.

(** Replace [W^l_jk] by [t], or [b^l_j] by [t]. *)
Definition updW (W : nat -> nat -> nat -> R) l j k t : nat -> nat -> nat -> R :=
  fun m => if Nat.eqb m l then fun r => if Nat.eqb r j then upd (W l r) k t else W l r
           else W m.

Definition updb (b : nat -> nat -> R) l j t : nat -> nat -> R :=
  fun m => if Nat.eqb m l then upd (b l) j t else b m.

Lemma updW_other W l j k t m : m <> l -> updW W l j k t m = W m.
Proof. intros H. unfold updW. apply Nat.eqb_neq in H. now rewrite H. Qed.

Lemma updb_other b' l j t m : m <> l -> updb b' l j t m = b' m.
Proof. intros H. unfold updb. apply Nat.eqb_neq in H. now rewrite H. Qed.

(** The backward pass: [delta^L = dL]; [delta^l] from [delta^{l+1}]. *)
Fixpoint dback (W : nat -> nat -> nat -> R) (dL : nat -> R) (k l : nat)
  : nat -> R :=
  match k with
  | O => dL
  | S k' => delta1 (sz (S l)) (W (S l)) (dback W dL k' (S l)) (zfb W b l)
  end.

(** [delta^l] of a network of depth [L]. *)
Definition delta W L dL l : nat -> R := dback W dL (L - l) l.

(** BP2 as a recursion: [delta^l = ((W^{l+1})^T delta^{l+1}) (.) sigma'(z^l)]
    for [l < L], and [delta^L] is the output error. *)
Theorem delta_step W L dL l :
  (l < L)%nat ->
  delta W L dL l = delta1 (sz (S l)) (W (S l)) (delta W L dL (S l)) (zfb W b l).
Proof.
  intros H. unfold delta. replace (L - l)%nat with (S (L - S l)) by lia.
  reflexivity.
Qed.

Lemma delta_top W L dL : delta W L dL L = dL.
Proof. unfold delta. now rewrite Nat.sub_diag. Qed.

(** BP2 in full: the cost as a function of [z^l] (every layer above [l]
    fixed) has gradient [delta^l] at [z^l], for every [1 <= l <= L]. *)
Theorem bp2_hidden_error_any_depth W L (g : (nat -> R) -> R) dL l :
  (1 <= l <= L)%nat ->
  has_grad (sz L) g (zfb W b L) dL ->
  has_grad (sz l) (fun z => g (fwd W b (L - l) l z)) (zfb W b l) (delta W L dL l).
Proof.
  intros Hl Hg. unfold delta.
  set (k := (L - l)%nat).
  assert (E : L = (l + k)%nat) by (unfold k; lia).
  rewrite E in Hg. clearbody k. clear E. destruct Hl as [Hl _].
  revert l Hl Hg. induction k as [|k IH]; intros l Hl Hg.
  - rewrite Nat.add_0_r in Hg. exact Hg.
  - simpl. destruct l as [|p]; [lia|].
    pose proof (IH (S (S p)) ltac:(lia)) as IH'.
    replace (S (S p) + k)%nat with (S p + S k)%nat in IH' by lia.
    specialize (IH' Hg).
    apply (has_grad_sigmoid_layer (sz (S p)) (sz (S (S p)))
             (fun u => g (fwd W b k (S (S p)) u))).
    exact IH'.
Qed.

(** Every partial derivative of the cost with respect to [z^l_j]. *)
Corollary bp2_partial_any_depth W L g dL l j :
  (1 <= l <= L)%nat -> (j < sz l)%nat ->
  has_grad (sz L) g (zfb W b L) dL ->
  is_derive (fun t => g (fwd W b (L - l) l (upd (zfb W b l) j t)))
            (zfb W b l j) (delta W L dL l j).
Proof.
  intros Hl Hj Hg.
  apply (has_grad_partial (sz l) (fun z => g (fwd W b (L - l) l z))
           (zfb W b l) (delta W L dL l) j); [|exact Hj].
  apply bp2_hidden_error_any_depth; assumption.
Qed.

(** Moving one parameter of layer [l] moves [z^l] along a curve [c] with
    [c t0 = z^l], and leaves every other layer alone: the cost's derivative
    is [sum_i c_i' delta^l_i]. *)
Lemma layer_path W (W' : R -> nat -> nat -> nat -> R) (b'' : R -> nat -> nat -> R)
  L (g : (nat -> R) -> R) (dL : nat -> R) l (c : R -> nat -> R) (dc : nat -> R) (t0 : R) :
  (1 <= l <= L)%nat ->
  has_grad (sz L) g (zfb W b L) dL ->
  (forall t m, (l < m)%nat -> W' t m = W m /\ b'' t m = b m) ->
  (forall t, zfb (W' t) (b'' t) l = c t) ->
  (forall i, (i < sz l)%nat -> c t0 i = zfb W b l i) ->
  (forall i, (i < sz l)%nat -> is_derive (fun t => c t i) t0 (dc i)) ->
  is_derive (fun t => g (zfb (W' t) (b'' t) L)) t0
            (fsum (sz l) (fun i => dc i * delta W L dL l i)).
Proof.
  intros Hl Hg Habove Hc Hc0 Hdc.
  apply (is_derive_ext (fun t => g (fwd W b (L - l) l (c t)))).
  { intros t. rewrite <- Hc.
    rewrite <- (fwd_above W (W' t) b (b'' t)) by (intros; apply Habove; assumption).
    rewrite fwd_zfb by lia. replace (l + (L - l))%nat with L by lia. reflexivity. }
  apply (bp2_hidden_error_any_depth W L g dL l Hl Hg c dc t0 Hc0 Hdc).
Qed.

(** BP4 at any layer: [dC/dW^l_jk = delta^l_j a^{l-1}_k]. *)
Theorem bp4_weight_any_depth W L g dL l j k :
  (1 <= l <= L)%nat -> (j < sz l)%nat -> (k < sz (l - 1))%nat ->
  has_grad (sz L) g (zfb W b L) dL ->
  is_derive (fun t => g (zfb (updW W l j k t) b L)) (W l j k)
            (delta W L dL l j * ain W b (l - 1) k).
Proof.
  intros Hl Hj Hk Hg. destruct l as [|p]; [lia|].
  replace (S p - 1)%nat with p in * by lia.
  set (c := fun t i => zfb W b (S p) i + (t - W (S p) j k) * (ain W b p k * kron i j)).
  apply (is_derive_eq _ _ (fsum (sz (S p)) (fun i => (ain W b p k * kron i j)
                                                   * delta W L dL (S p) i))).
  - apply (layer_path W (fun t => updW W (S p) j k t) (fun _ => b) L g dL (S p) c);
      [exact Hl|exact Hg| | | |].
    + intros t m Hm. split; [apply updW_other; lia|reflexivity].
    + intros t. rewrite zfb_S.
      rewrite (ain_below W (updW W (S p) j k t) b b)
        by (intros m Hm; split; [apply updW_other; lia|reflexivity]).
      apply functional_extensionality. intros i.
      unfold c, layer, updW. rewrite Nat.eqb_refl, zfb_S. unfold layer.
      destruct (Nat.eqb i j) eqn:E.
      * apply Nat.eqb_eq in E. subst i. rewrite fsum_upd_dot by exact Hk.
        unfold kron. rewrite Nat.eqb_refl. ring.
      * unfold kron. rewrite E. ring.
    + intros i _. unfold c. ring.
    + intros i _. unfold c. auto_derive; [exact I|ring].
  - rewrite (fsum_ext _ _ (fun i => kron i j * (ain W b p k * delta W L dL (S p) i)))
      by (intros; ring).
    rewrite fsum_kron by exact Hj. ring.
Qed.

(** BP3 at any layer: [dC/db^l_j = delta^l_j]. *)
Theorem bp3_bias_any_depth W L g dL l j :
  (1 <= l <= L)%nat -> (j < sz l)%nat ->
  has_grad (sz L) g (zfb W b L) dL ->
  is_derive (fun t => g (zfb W (updb b l j t) L)) (b l j) (delta W L dL l j).
Proof.
  intros Hl Hj Hg. destruct l as [|p]; [lia|].
  set (c := fun t i => zfb W b (S p) i + (t - b (S p) j) * kron i j).
  apply (is_derive_eq _ _ (fsum (sz (S p)) (fun i => kron i j * delta W L dL (S p) i))).
  - apply (layer_path W (fun _ => W) (fun t => updb b (S p) j t) L g dL (S p) c);
      [exact Hl|exact Hg| | | |].
    + intros t m Hm. split; [reflexivity|apply updb_other; lia].
    + intros t. rewrite zfb_S.
      rewrite (ain_below W W b (updb b (S p) j t))
        by (intros m Hm; split; [reflexivity|apply updb_other; lia]).
      apply functional_extensionality. intros i.
      unfold c, layer, updb. rewrite Nat.eqb_refl, zfb_S. unfold layer.
      rewrite upd_as_shift. ring.
    + intros i _. unfold c. ring.
    + intros i _. unfold c. auto_derive; [exact I|ring].
  - apply fsum_kron, Hj.
Qed.

(** BP1 for any cost [C] of the output activations [a^L = sigma(z^L)] with a
    gradient [grad_a C]: [delta^L = grad_a C (.) sigma'(z^L)]. *)
Theorem bp1_output_error_any_cost W L (C : (nat -> R) -> R) ga :
  has_grad (sz L) C (act (zfb W b L)) ga ->
  has_grad (sz L) (fun z => C (act z)) (zfb W b L)
           (fun j => ga j * sigma' (zfb W b L j)).
Proof. apply has_grad_act. Qed.

End Network.

(** Backprop.v's [bp4_hidden_weight], re-derived from the depth-[L] theorem
    at [L = 2] (with the composing gradient as hypothesis). *)
Corollary bp4_hidden_weight_from_depth_L n0 n1 n2 g W1 b1 W2 b2 x delta2 j k :
  has_grad n2 g (layer n1 W2 b2 (act (layer n0 W1 b1 x))) delta2 ->
  (j < n1)%nat -> (k < n0)%nat ->
  is_derive (fun t => net_cost n0 n1 g (upd2 W1 j k t) b1 W2 b2 x) (W1 j k)
            (delta1 n2 W2 delta2 (layer n0 W1 b1 x) j * x k).
Proof.
  intros Hg Hj Hk.
  set (sz := fun l => match l with O => n0 | 1 => n1 | _ => n2 end).
  set (Wf := fun l => match l with 1 => W1 | _ => W2 end).
  set (bf := fun l => match l with 1 => b1 | _ => b2 end).
  apply (is_derive_ext (fun t => g (zfb sz x (updW Wf 1 j k t) bf 2))).
  { intros t.
    assert (E : upd2 W1 j k t = updW Wf 1 j k t 1).
    { apply functional_extensionality. intros r. unfold upd2, updW. simpl.
      destruct (Nat.eqb r j) eqn:E; [apply Nat.eqb_eq in E; subst r|]; reflexivity. }
    unfold net_cost. rewrite E. reflexivity. }
  pose proof (bp4_weight_any_depth sz bf x Wf 2 g delta2 1 j k
                ltac:(lia) Hj Hk Hg) as H.
  rewrite delta_step in H by lia. rewrite delta_top in H. exact H.
Qed.
