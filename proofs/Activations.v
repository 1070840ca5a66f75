(** * Activations: the hidden activations' derivatives, and backpropagation
    at any depth with the activation as a parameter

    The hidden activations of [<gradproof/activation.h>] and their
    derivatives:
    - [tanh_derivative]: [tanh' = 1 - tanh^2];
    - [softplus_derivative]: [softplus' = sigma];
    - [identity_derivative]: [identity' = 1];
    - ReLU and leaky ReLU are the piecewise-linear [pl s1 s2] (slope [s1]
      for [z > 0], [s2] for [z <= 0]): derivative [s1] for [z > 0] and [s2]
      for [z < 0] ([pl_derivative_pos], [pl_derivative_neg]), right
      derivative [s1] and left derivative [s2] at 0 ([pl_right_derivative_0],
      [pl_left_derivative_0]), and no derivative at 0 when [s1 <> s2]
      ([pl_no_derivative_at_0]); the [relu_*] and [leaky_*] theorems are the
      instances.  The code's convention at the kink, [f'(0) = 0] for ReLU and
      [alpha] for leaky ReLU, is the left derivative ([relu_prime_0_is_left],
      [leaky_prime_0_is_left]).

    Backpropagation with an activation [f l] (derivative [df l]) per hidden
    layer [l], at any depth [L] and any widths, wherever each [f l] is
    differentiable at the [z^l_j] of the network (for ReLU: no hidden
    [z^l_j] is exactly 0):
    - [bp1_any_activation]: [delta^L = grad_a C (.) f'(z^L)];
    - [bp2_any_activation]: the cost as a function of [z^l] has gradient
      [delta^l = ((W^{l+1})^T delta^{l+1}) (.) f_l'(z^l)] ([delta_step_any]);
    - [bp3_any_activation], [bp4_any_activation]: [dC/db^l_j = delta^l_j],
      [dC/dW^l_jk = delta^l_j a^{l-1}_k];
    - [bp2_sigmoid_instance], [bp3_sigmoid_instance], [bp4_sigmoid_instance]:
      Deep.v's BP2-BP4 are the sigmoid instances;
      [bp4_relu_away_from_kinks]: the ReLU instance.
    C: [gp_activation_*] (src/activation.c), [hidden_error] and
    [update_layer] (src/backprop.c). *)

From Coq Require Import Reals Lra Lia FunctionalExtensionality.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient Backprop Deep Stable.
Open Scope R_scope.

(** ** tanh, softplus, identity *)

Definition tanh (z : R) : R := (exp z - exp (- z)) / (exp z + exp (- z)).

Lemma tanh_denom_pos z : 0 < exp z + exp (- z).
Proof. pose proof (exp_pos z). pose proof (exp_pos (- z)). lra. Qed.

Theorem tanh_derivative z : is_derive tanh z (1 - tanh z ^ 2).
Proof.
  unfold tanh. pose proof (tanh_denom_pos z).
  auto_derive; [lra|]. field. lra.
Qed.

(** [tanh z = 2 sigma(2z) - 1]: tanh is a rescaled sigmoid. *)
Theorem tanh_is_rescaled_sigma z : tanh z = 2 * sigma (2 * z) - 1.
Proof.
  unfold tanh, sigma. rewrite !exp_Ropp.
  replace (exp (2 * z)) with (exp z * exp z) by (rewrite <- exp_plus; f_equal; ring).
  pose proof (exp_pos z) as P. set (p := exp z) in *.
  field; repeat split; nra.
Qed.

Theorem softplus_derivative z : is_derive softplus z (sigma z).
Proof.
  unfold softplus, sigma. pose proof (exp_pos z). pose proof (exp_pos (- z)).
  auto_derive; [lra|]. rewrite exp_Ropp. field. split; lra.
Qed.

Theorem identity_derivative z : is_derive (fun t => t) z 1.
Proof. apply is_derive_Reals, derivable_pt_lim_id. Qed.

(** ** Piecewise linear: ReLU and leaky ReLU *)

(** Slope [s1] for [z > 0], [s2] for [z <= 0] (the code's [z > 0 ? ...]). *)
Definition pl (s1 s2 z : R) : R := if Rlt_dec 0 z then s1 * z else s2 * z.

Theorem pl_derivative_pos s1 s2 z : 0 < z -> is_derive (pl s1 s2) z s1.
Proof.
  intros Hz. apply (is_derive_ext_loc (fun t => s1 * t)).
  - apply (filter_imp (fun t => 0 < t)); [|exact (open_gt 0 z Hz)].
    intros t Ht. unfold pl. destruct (Rlt_dec 0 t); [reflexivity|lra].
  - auto_derive; [exact I|ring].
Qed.

Theorem pl_derivative_neg s1 s2 z : z < 0 -> is_derive (pl s1 s2) z s2.
Proof.
  intros Hz. apply (is_derive_ext_loc (fun t => s2 * t)).
  - apply (filter_imp (fun t => t < 0)); [|exact (open_lt 0 z Hz)].
    intros t Ht. unfold pl. destruct (Rlt_dec 0 t); [lra|reflexivity].
  - auto_derive; [exact I|ring].
Qed.

Lemma pl_quotient s1 s2 h : h <> 0 ->
  (pl s1 s2 (0 + h) - pl s1 s2 0) / h = if Rlt_dec 0 h then s1 else s2.
Proof.
  intros Hh. unfold pl. rewrite Rplus_0_l.
  destruct (Rlt_dec 0 0) as [C|_]; [lra|].
  destruct (Rlt_dec 0 h); field; exact Hh.
Qed.

(** The one-sided derivatives at the kink. *)
Theorem pl_right_derivative_0 s1 s2 :
  filterlim (fun h => (pl s1 s2 (0 + h) - pl s1 s2 0) / h) (at_right 0) (locally s1).
Proof.
  apply (filterlim_ext_loc (fun _ => s1)); [|apply filterlim_const].
  unfold at_right, within. apply filter_forall. intros h Hh.
  rewrite pl_quotient by lra. destruct (Rlt_dec 0 h); [reflexivity|lra].
Qed.

Theorem pl_left_derivative_0 s1 s2 :
  filterlim (fun h => (pl s1 s2 (0 + h) - pl s1 s2 0) / h) (at_left 0) (locally s2).
Proof.
  apply (filterlim_ext_loc (fun _ => s2)); [|apply filterlim_const].
  unfold at_left, within. apply filter_forall. intros h Hh.
  rewrite pl_quotient by lra. destruct (Rlt_dec 0 h); [lra|reflexivity].
Qed.

(** With two different slopes, no derivative exists at 0. *)
Theorem pl_no_derivative_at_0 s1 s2 l : s1 <> s2 -> ~ is_derive (pl s1 s2) 0 l.
Proof.
  intros Hs Hd. apply is_derive_Reals in Hd.
  assert (He : 0 < Rabs (s1 - s2) / 2) by (apply Rdiv_lt_0_compat; [apply Rabs_pos_lt; lra|lra]).
  destruct (Hd _ He) as [del Hdel].
  pose proof (cond_pos del) as Hp.
  assert (H1 := Hdel (del / 2) ltac:(lra) ltac:(rewrite Rabs_pos_eq; lra)).
  assert (H2 := Hdel (- (del / 2)) ltac:(lra)
                  ltac:(rewrite Rabs_Ropp, Rabs_pos_eq; lra)).
  rewrite pl_quotient in H1, H2 by lra.
  destruct (Rlt_dec 0 (del / 2)) as [_|C]; [|lra].
  destruct (Rlt_dec 0 (- (del / 2))) as [C|_]; [lra|].
  assert (T : Rabs (s1 - s2) <= Rabs (s1 - l) + Rabs (s2 - l)).
  { replace (s1 - s2) with ((s1 - l) + - (s2 - l)) by ring.
    rewrite <- (Rabs_Ropp (s2 - l)). apply Rabs_triang. }
  lra.
Qed.

(** ReLU [max(0, z)], its derivative [1] or [0], and the code's [f'(0) = 0]. *)
Definition relu (z : R) : R := if Rlt_dec 0 z then z else 0.
Definition relu' (z : R) : R := if Rlt_dec 0 z then 1 else 0.

Lemma relu_is_pl : relu = pl 1 0.
Proof.
  apply functional_extensionality. intros z. unfold relu, pl.
  destruct (Rlt_dec 0 z); ring.
Qed.

Theorem relu_derivative z : z <> 0 -> is_derive relu z (relu' z).
Proof.
  intros Hz. rewrite relu_is_pl. unfold relu'. destruct (Rlt_dec 0 z).
  - apply pl_derivative_pos; lra.
  - apply pl_derivative_neg; lra.
Qed.

Theorem relu_no_derivative_at_0 l : ~ is_derive relu 0 l.
Proof. rewrite relu_is_pl. apply pl_no_derivative_at_0. lra. Qed.

Theorem relu_prime_0_is_left :
  filterlim (fun h => (relu (0 + h) - relu 0) / h) (at_left 0) (locally (relu' 0)) /\
  filterlim (fun h => (relu (0 + h) - relu 0) / h) (at_right 0) (locally 1).
Proof.
  rewrite relu_is_pl. unfold relu'. destruct (Rlt_dec 0 0) as [C|_]; [lra|].
  split; [apply pl_left_derivative_0|apply pl_right_derivative_0].
Qed.

(** Leaky ReLU with slope [alpha] for [z <= 0]. *)
Definition leaky (al z : R) : R := if Rlt_dec 0 z then z else al * z.
Definition leaky' (al z : R) : R := if Rlt_dec 0 z then 1 else al.

Lemma leaky_is_pl al : leaky al = pl 1 al.
Proof.
  apply functional_extensionality. intros z. unfold leaky, pl.
  destruct (Rlt_dec 0 z); ring.
Qed.

Theorem leaky_derivative al z : z <> 0 -> is_derive (leaky al) z (leaky' al z).
Proof.
  intros Hz. rewrite leaky_is_pl. unfold leaky'. destruct (Rlt_dec 0 z).
  - apply pl_derivative_pos; lra.
  - apply pl_derivative_neg; lra.
Qed.

Theorem leaky_no_derivative_at_0 al l : al <> 1 -> ~ is_derive (leaky al) 0 l.
Proof. intros Ha. rewrite leaky_is_pl. apply pl_no_derivative_at_0. lra. Qed.

Theorem leaky_prime_0_is_left al :
  filterlim (fun h => (leaky al (0 + h) - leaky al 0) / h) (at_left 0)
            (locally (leaky' al 0)) /\
  filterlim (fun h => (leaky al (0 + h) - leaky al 0) / h) (at_right 0) (locally 1).
Proof.
  rewrite leaky_is_pl. unfold leaky'. destruct (Rlt_dec 0 0) as [C|_]; [lra|].
  split; [apply pl_left_derivative_0|apply pl_right_derivative_0].
Qed.

(** ** The chain rule through a layer with any activation *)

(** [f] entrywise, and BP2's vector [((W)^T d) (.) f'(z)]. *)
Definition actf (f : R -> R) (z : nat -> R) : nat -> R := fun j => f (z j).

Definition deltaf (df : R -> R) (n2 : nat) (W : nat -> nat -> R) (d z : nat -> R)
  (j : nat) : R :=
  fsum n2 (fun i => W i j * d i) * df (z j).

Lemma is_derive_f_curve (f : R -> R) fz (c : R -> nat -> R) t0 k dk :
  is_derive f (c t0 k) fz -> is_derive (fun t => c t k) t0 dk ->
  is_derive (fun t => f (c t k)) t0 (fz * dk).
Proof.
  intros Hf H. rewrite Rmult_comm.
  apply (is_derive_Rcomp f (fun t => c t k)); [exact Hf|exact H].
Qed.

(** BP1 with an output activation [fo] differentiable at every [z_j]. *)
Theorem bp1_any_activation n (fo dfo : R -> R) (C : (nat -> R) -> R) z ga :
  (forall j, (j < n)%nat -> is_derive fo (z j) (dfo (z j))) ->
  has_grad n C (actf fo z) ga ->
  has_grad n (fun u => C (actf fo u)) z (fun j => ga j * dfo (z j)).
Proof.
  intros Hf HC c dc t0 Hc0 Hdc.
  apply (is_derive_eq _ _ (fsum n (fun i => (dfo (z i) * dc i) * ga i))).
  - apply (HC (fun t => actf fo (c t))).
    + intros i Hi. unfold actf. rewrite Hc0 by exact Hi. reflexivity.
    + intros i Hi. unfold actf. apply is_derive_f_curve; [|apply Hdc, Hi].
      rewrite Hc0 by exact Hi. apply Hf, Hi.
  - apply fsum_ext. intros i _. ring.
Qed.

(** If [h] has gradient [d] at [W f(z) + b] and [f] is differentiable at
    every [z_k], then [u |-> h (W f(u) + b)] has gradient
    [((W)^T d) (.) f'(z)] at [z]. *)
Theorem has_grad_layer_any (f df : R -> R) n1 n2 (h : (nat -> R) -> R) W b z d :
  (forall k, (k < n1)%nat -> is_derive f (z k) (df (z k))) ->
  has_grad n2 h (layer n1 W b (actf f z)) d ->
  has_grad n1 (fun u => h (layer n1 W b (actf f u))) z (deltaf df n2 W d z).
Proof.
  intros Hf Hh c dc t0 Hc0 Hdc.
  apply (is_derive_eq _ _
    (fsum n2 (fun i => fsum n1 (fun k => W i k * (df (z k) * dc k)) * d i))).
  - apply (Hh (fun t => layer n1 W b (actf f (c t)))).
    + intros i _. unfold layer, actf. f_equal. apply fsum_ext.
      intros k Hk. rewrite Hc0 by exact Hk. reflexivity.
    + intros i _. unfold layer, actf.
      apply (is_derive_eq _ _ (fsum n1 (fun k => W i k * (df (z k) * dc k)) + 0)).
      * apply is_derive_Rplus; [|apply is_derive_const_R].
        apply is_derive_fsum. intros k Hk. apply is_derive_Rscal.
        apply is_derive_f_curve; [|apply Hdc, Hk].
        rewrite Hc0 by exact Hk. apply Hf, Hk.
      * ring.
  - unfold deltaf.
    rewrite (fsum_ext n2 _ (fun i => fsum n1 (fun k => W i k * (df (z k) * dc k) * d i)))
      by (intros; rewrite fsum_scal_r; reflexivity).
    rewrite fsum_swap. apply fsum_ext. intros k _.
    rewrite <- fsum_scal_r, <- fsum_scal_l. apply fsum_ext. intros i _. ring.
Qed.

(** ** The network with activation [f l] at hidden layer [l] *)

Section Network.

Variables (sz : nat -> nat) (f df : nat -> R -> R) (b : nat -> nat -> R) (x : nat -> R).

(** [z^l], with [a^p = f p (z^p)] for [p >= 1]. *)
Fixpoint zg (W : nat -> nat -> nat -> R) (b : nat -> nat -> R) (l : nat) : nat -> R :=
  match l with
  | O => x
  | S p => layer (sz p) (W l) (b l)
             (match p with O => x | S _ => actf (f p) (zg W b p) end)
  end.

Definition ag W b p : nat -> R :=
  match p with O => x | S _ => actf (f p) (zg W b p) end.

Lemma zg_S W b' p : zg W b' (S p) = layer (sz p) (W (S p)) (b' (S p)) (ag W b' p).
Proof. reflexivity. Qed.

Fixpoint fwdg (W : nat -> nat -> nat -> R) (b : nat -> nat -> R) (k l : nat)
  (z : nat -> R) : nat -> R :=
  match k with
  | O => z
  | S k' => fwdg W b k' (S l) (layer (sz l) (W (S l)) (b (S l)) (actf (f l) z))
  end.

Lemma fwdg_zg W b' k l :
  (1 <= l)%nat -> fwdg W b' k l (zg W b' l) = zg W b' (l + k).
Proof.
  revert l. induction k as [|k IH]; intros l Hl.
  - rewrite Nat.add_0_r. reflexivity.
  - simpl. destruct l as [|p]; [lia|].
    replace (S p + S k)%nat with (S (S p) + k)%nat by lia.
    rewrite <- IH by lia. reflexivity.
Qed.

Lemma fwdg_above W W' b' b'' k l z :
  (forall m, (l < m)%nat -> W' m = W m /\ b'' m = b' m) ->
  fwdg W' b'' k l z = fwdg W b' k l z.
Proof.
  revert l z. induction k as [|k IH]; intros l z H; [reflexivity|].
  simpl. destruct (H (S l)) as [E1 E2]; [lia|]. rewrite E1, E2.
  apply IH. intros m Hm. apply H. lia.
Qed.

Lemma zg_below W W' b' b'' p :
  (forall m, (1 <= m <= p)%nat -> W' m = W m /\ b'' m = b' m) ->
  zg W' b'' p = zg W b' p.
Proof.
  induction p as [|p IH]; intros H; [reflexivity|].
  rewrite !zg_S. destruct (H (S p)) as [E1 E2]; [lia|]. rewrite E1, E2.
  unfold ag. destruct p as [|q]; [reflexivity|].
  rewrite IH; [reflexivity|]. intros m Hm. apply H. lia.
Qed.

Lemma ag_below W W' b' b'' p :
  (forall m, (1 <= m <= p)%nat -> W' m = W m /\ b'' m = b' m) ->
  ag W' b'' p = ag W b' p.
Proof.
  intros H. unfold ag. destruct p; [reflexivity|].
  rewrite (zg_below W W' b' b''); [reflexivity|exact H].
Qed.

(** The backward pass: [delta^L = dL]; [delta^l] from [delta^{l+1}]. *)
Fixpoint dbackg (W : nat -> nat -> nat -> R) (dL : nat -> R) (k l : nat) : nat -> R :=
  match k with
  | O => dL
  | S k' => deltaf (df l) (sz (S l)) (W (S l)) (dbackg W dL k' (S l)) (zg W b l)
  end.

Definition deltag W L dL l : nat -> R := dbackg W dL (L - l) l.

Theorem delta_step_any W L dL l :
  (l < L)%nat ->
  deltag W L dL l = deltaf (df l) (sz (S l)) (W (S l)) (deltag W L dL (S l)) (zg W b l).
Proof.
  intros H. unfold deltag. replace (L - l)%nat with (S (L - S l)) by lia.
  reflexivity.
Qed.

Lemma deltag_top W L dL : deltag W L dL L = dL.
Proof. unfold deltag. now rewrite Nat.sub_diag. Qed.

(** Every hidden activation is differentiable at its [z^l_j]. *)
Definition diff_hidden W L : Prop :=
  forall l j, (1 <= l < L)%nat -> (j < sz l)%nat ->
    is_derive (f l) (zg W b l j) (df l (zg W b l j)).

Lemma bp2_steps W g dL k : forall l, (1 <= l)%nat ->
  (forall m j, (l <= m < l + k)%nat -> (j < sz m)%nat ->
     is_derive (f m) (zg W b m j) (df m (zg W b m j))) ->
  has_grad (sz (l + k)) g (zg W b (l + k)) dL ->
  has_grad (sz l) (fun z => g (fwdg W b k l z)) (zg W b l) (dbackg W dL k l).
Proof.
  induction k as [|k IH]; intros l Hl Hd Hg.
  - rewrite Nat.add_0_r in Hg. exact Hg.
  - simpl. destruct l as [|p]; [lia|].
    assert (Hd' : forall m j, (S (S p) <= m < S (S p) + k)%nat -> (j < sz m)%nat ->
                    is_derive (f m) (zg W b m j) (df m (zg W b m j))).
    { intros m j Hm Hj. apply Hd; [lia|exact Hj]. }
    replace (S p + S k)%nat with (S (S p) + k)%nat in Hg by lia.
    pose proof (IH (S (S p)) ltac:(lia) Hd' Hg) as IH'.
    apply (has_grad_layer_any (f (S p)) (df (S p)) (sz (S p)) (sz (S (S p)))
             (fun u => g (fwdg W b k (S (S p)) u))).
    + intros j Hj. apply Hd; [lia|exact Hj].
    + exact IH'.
Qed.

(** BP2 at any depth, any hidden activations: the cost as a function of
    [z^l] has gradient [delta^l] at [z^l]. *)
Theorem bp2_any_activation W L (g : (nat -> R) -> R) dL l :
  (1 <= l <= L)%nat -> diff_hidden W L ->
  has_grad (sz L) g (zg W b L) dL ->
  has_grad (sz l) (fun z => g (fwdg W b (L - l) l z)) (zg W b l) (deltag W L dL l).
Proof.
  intros Hl Hd Hg. unfold deltag. apply bp2_steps; [lia| |].
  - intros m j Hm Hj. apply Hd; [lia|exact Hj].
  - replace (l + (L - l))%nat with L by lia. exact Hg.
Qed.

Lemma layer_path_any W (W' : R -> nat -> nat -> nat -> R) (b'' : R -> nat -> nat -> R)
  L (g : (nat -> R) -> R) (dL : nat -> R) l (c : R -> nat -> R) (dc : nat -> R) (t0 : R) :
  (1 <= l <= L)%nat -> diff_hidden W L ->
  has_grad (sz L) g (zg W b L) dL ->
  (forall t m, (l < m)%nat -> W' t m = W m /\ b'' t m = b m) ->
  (forall t, zg (W' t) (b'' t) l = c t) ->
  (forall i, (i < sz l)%nat -> c t0 i = zg W b l i) ->
  (forall i, (i < sz l)%nat -> is_derive (fun t => c t i) t0 (dc i)) ->
  is_derive (fun t => g (zg (W' t) (b'' t) L)) t0
            (fsum (sz l) (fun i => dc i * deltag W L dL l i)).
Proof.
  intros Hl Hd Hg Habove Hc Hc0 Hdc.
  apply (is_derive_ext (fun t => g (fwdg W b (L - l) l (c t)))).
  { intros t. rewrite <- Hc.
    rewrite <- (fwdg_above W (W' t) b (b'' t)) by (intros; apply Habove; assumption).
    rewrite fwdg_zg by lia. replace (l + (L - l))%nat with L by lia. reflexivity. }
  apply (bp2_any_activation W L g dL l Hl Hd Hg c dc t0 Hc0 Hdc).
Qed.

(** BP4 at any layer, any hidden activations. *)
Theorem bp4_any_activation W L g dL l j k :
  (1 <= l <= L)%nat -> (j < sz l)%nat -> (k < sz (l - 1))%nat -> diff_hidden W L ->
  has_grad (sz L) g (zg W b L) dL ->
  is_derive (fun t => g (zg (updW W l j k t) b L)) (W l j k)
            (deltag W L dL l j * ag W b (l - 1) k).
Proof.
  intros Hl Hj Hk Hd Hg. destruct l as [|p]; [lia|].
  replace (S p - 1)%nat with p in * by lia.
  set (c := fun t i => zg W b (S p) i + (t - W (S p) j k) * (ag W b p k * kron i j)).
  apply (is_derive_eq _ _ (fsum (sz (S p)) (fun i => (ag W b p k * kron i j)
                                                   * deltag W L dL (S p) i))).
  - apply (layer_path_any W (fun t => updW W (S p) j k t) (fun _ => b) L g dL (S p) c);
      [exact Hl|exact Hd|exact Hg| | | |].
    + intros t m Hm. split; [apply updW_other; lia|reflexivity].
    + intros t. rewrite zg_S.
      rewrite (ag_below W (updW W (S p) j k t) b b)
        by (intros m Hm; split; [apply updW_other; lia|reflexivity]).
      apply functional_extensionality. intros i.
      unfold c, layer, updW. rewrite Nat.eqb_refl, zg_S. unfold layer.
      destruct (Nat.eqb i j) eqn:E.
      * apply Nat.eqb_eq in E. subst i. rewrite fsum_upd_dot by exact Hk.
        unfold kron. rewrite Nat.eqb_refl. ring.
      * unfold kron. rewrite E. ring.
    + intros i _. unfold c. ring.
    + intros i _. unfold c. auto_derive; [exact I|ring].
  - rewrite (fsum_ext _ _ (fun i => kron i j * (ag W b p k * deltag W L dL (S p) i)))
      by (intros; ring).
    rewrite fsum_kron by exact Hj. ring.
Qed.

(** BP3 at any layer, any hidden activations. *)
Theorem bp3_any_activation W L g dL l j :
  (1 <= l <= L)%nat -> (j < sz l)%nat -> diff_hidden W L ->
  has_grad (sz L) g (zg W b L) dL ->
  is_derive (fun t => g (zg W (updb b l j t) L)) (b l j) (deltag W L dL l j).
Proof.
  intros Hl Hj Hd Hg. destruct l as [|p]; [lia|].
  set (c := fun t i => zg W b (S p) i + (t - b (S p) j) * kron i j).
  apply (is_derive_eq _ _ (fsum (sz (S p)) (fun i => kron i j * deltag W L dL (S p) i))).
  - apply (layer_path_any W (fun _ => W) (fun t => updb b (S p) j t) L g dL (S p) c);
      [exact Hl|exact Hd|exact Hg| | | |].
    + intros t m Hm. split; [reflexivity|apply updb_other; lia].
    + intros t. rewrite zg_S.
      rewrite (ag_below W W b (updb b (S p) j t))
        by (intros m Hm; split; [reflexivity|apply updb_other; lia]).
      apply functional_extensionality. intros i.
      unfold c, layer, updb. rewrite Nat.eqb_refl, zg_S. unfold layer.
      rewrite upd_as_shift. ring.
    + intros i _. unfold c. ring.
    + intros i _. unfold c. auto_derive; [exact I|ring].
  - apply fsum_kron, Hj.
Qed.

End Network.

(** ** Instances *)

(** With sigmoid at every hidden layer the network is Deep.v's. *)
Lemma zg_sigmoid sz x W b' l :
  zg sz (fun _ => sigma) x W b' l = zfb sz x W b' l.
Proof.
  induction l as [|p IH]; [reflexivity|].
  rewrite zg_S, zfb_S. unfold ag, ain. destruct p as [|q]; [reflexivity|].
  rewrite IH. reflexivity.
Qed.

Lemma ag_sigmoid sz x W b' p : ag sz (fun _ => sigma) x W b' p = ain sz x W b' p.
Proof.
  unfold ag, ain. destruct p; [reflexivity|]. rewrite zg_sigmoid. reflexivity.
Qed.

Lemma dbackg_sigmoid sz b x W dL k l :
  dbackg sz (fun _ => sigma) (fun _ => sigma') b x W dL k l = dback sz b x W dL k l.
Proof.
  revert l. induction k as [|k IH]; intros l; [reflexivity|].
  simpl. rewrite IH, zg_sigmoid. reflexivity.
Qed.

(** Deep.v's [bp4_weight_any_depth], re-derived from [bp4_any_activation]. *)
Corollary bp4_sigmoid_instance sz b x W L g dL l j k :
  (1 <= l <= L)%nat -> (j < sz l)%nat -> (k < sz (l - 1))%nat ->
  has_grad (sz L) g (zfb sz x W b L) dL ->
  is_derive (fun t => g (zfb sz x (updW W l j k t) b L)) (W l j k)
            (delta sz b x W L dL l j * ain sz x W b (l - 1) k).
Proof.
  intros Hl Hj Hk Hg.
  apply (is_derive_ext (fun t => g (zg sz (fun _ => sigma) x (updW W l j k t) b L))).
  { intros t. rewrite zg_sigmoid. reflexivity. }
  unfold delta. rewrite <- dbackg_sigmoid, <- ag_sigmoid.
  apply (bp4_any_activation sz (fun _ => sigma) (fun _ => sigma') b x W L g dL l j k
           Hl Hj Hk).
  - intros m i _ _. apply sigma'_is_derivative.
  - rewrite zg_sigmoid. exact Hg.
Qed.

Lemma fwdg_sigmoid sz W b' k l z :
  fwdg sz (fun _ => sigma) W b' k l z = fwd sz W b' k l z.
Proof.
  revert l z. induction k as [|k IH]; intros l z; [reflexivity|]. apply IH.
Qed.

(** Deep.v's [bp2_hidden_error_any_depth], re-derived from [bp2_any_activation]. *)
Corollary bp2_sigmoid_instance sz b x W L g dL l :
  (1 <= l <= L)%nat ->
  has_grad (sz L) g (zfb sz x W b L) dL ->
  has_grad (sz l) (fun z => g (fwd sz W b (L - l) l z)) (zfb sz x W b l)
           (delta sz b x W L dL l).
Proof.
  intros Hl Hg.
  replace (fun z => g (fwd sz W b (L - l) l z))
    with (fun z => g (fwdg sz (fun _ => sigma) W b (L - l) l z))
    by (apply functional_extensionality; intros z; now rewrite fwdg_sigmoid).
  unfold delta. rewrite <- dbackg_sigmoid, <- zg_sigmoid.
  apply (bp2_any_activation sz (fun _ => sigma) (fun _ => sigma') b x W L g dL l Hl).
  - intros m i _ _. apply sigma'_is_derivative.
  - rewrite zg_sigmoid. exact Hg.
Qed.

(** Deep.v's [bp3_bias_any_depth], re-derived from [bp3_any_activation]. *)
Corollary bp3_sigmoid_instance sz b x W L g dL l j :
  (1 <= l <= L)%nat -> (j < sz l)%nat ->
  has_grad (sz L) g (zfb sz x W b L) dL ->
  is_derive (fun t => g (zfb sz x W (updb b l j t) L)) (b l j) (delta sz b x W L dL l j).
Proof.
  intros Hl Hj Hg.
  apply (is_derive_ext (fun t => g (zg sz (fun _ => sigma) x W (updb b l j t) L))).
  { intros t. rewrite zg_sigmoid. reflexivity. }
  unfold delta. rewrite <- dbackg_sigmoid.
  apply (bp3_any_activation sz (fun _ => sigma) (fun _ => sigma') b x W L g dL l j Hl Hj).
  - intros m i _ _. apply sigma'_is_derivative.
  - rewrite zg_sigmoid. exact Hg.
Qed.

(** ReLU at every hidden layer: BP4 holds wherever no hidden [z^l_j] is
    exactly 0 (at a kink the derivative does not exist:
    [relu_no_derivative_at_0]). *)
Corollary bp4_relu_away_from_kinks sz b x W L g dL l j k :
  (1 <= l <= L)%nat -> (j < sz l)%nat -> (k < sz (l - 1))%nat ->
  (forall m i, (1 <= m < L)%nat -> (i < sz m)%nat ->
     zg sz (fun _ => relu) x W b m i <> 0) ->
  has_grad (sz L) g (zg sz (fun _ => relu) x W b L) dL ->
  is_derive (fun t => g (zg sz (fun _ => relu) x (updW W l j k t) b L)) (W l j k)
            (deltag sz (fun _ => relu) (fun _ => relu') b x W L dL l j
             * ag sz (fun _ => relu) x W b (l - 1) k).
Proof.
  intros Hl Hj Hk Hz Hg. apply bp4_any_activation; [exact Hl|exact Hj|exact Hk| |exact Hg].
  intros m i Hm Hi. apply relu_derivative, Hz; assumption.
Qed.
