(** * Regularization: L2 and L1 terms, the regularised batch gradient, the SGD step

    Training set of [n] samples, mini-batch of [m] samples (columns of the
    batch matrices).  The regularised cost of the code is
    [J = (1/m) sum_x C_x + (lambda/2n) sum_w w^2 + (lambda1/n) sum_w |w|]
    over every weight (biases are not regularised).
    - [l2_derivative], [l1_derivative_away_from_0]: [(lambda/n) w] and
      [(lambda1/n) sgn w] for [w <> 0].
    - [l1_subgradient_at_0]: at [w = 0] the subgradients of [c |w|] are
      exactly [[-c, c]]; the code's [sgn 0 = 0] is one of them.
    - [regularised_batch_gradient]: the derivative of [J] with respect to
      [W^l_jk] is [(1/m) (D^l (A^{l-1})^T)_jk + (lambda/n) W^l_jk
      + (lambda1/n) sgn W^l_jk], where column [x] of [D^l] is [delta^l] of
      sample [x] and column [x] of [A^{l-1}] is [a^{l-1}] (BP4 per sample).
    - [sgd_fused_weight_update], [sgd_step_any_depth]: the fused update the
      code executes (L1 shrink, decay, then the batch term) is
      [w - eta dJ/dw].
    - [descent_lemma]: where the gradient is non-zero, a small enough step
      lowers [J].
    - [sparse_row_step_at], [sgd_sparse_step_any_depth],
      [sparse_row_step_subgradient]: the sparse path's step (src/sparse.c:
      decay and L1 shrink of every weight, then one term per non-zero input
      of each sample in turn) is the same [w - eta dJ/dw], exactly.
    C: [gpi_sgd_coefficients], [gp_sgd_step], [gp_sparse_sgd_step],
    [gp_regularization_cost], [gp_regularization_gradient] (src/backprop.c). *)

From Coq Require Import Reals Lra Lia FunctionalExtensionality List.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid Gradient Deep.
Open Scope R_scope.

(** The code's sign: [(x > 0) - (x < 0)], so [sgn 0 = 0]. *)
Definition sgn (w : R) : R :=
  (if Rlt_dec 0 w then 1 else 0) - (if Rlt_dec w 0 then 1 else 0).

Lemma sgn_0 : sgn 0 = 0.
Proof.
  unfold sgn. destruct (Rlt_dec 0 0); [lra|]. destruct (Rlt_dec 0 0); [lra|]. ring.
Qed.

Theorem l2_derivative lam n w :
  (0 < n) -> is_derive (fun t => lam / (2 * n) * t ^ 2) w (lam / n * w).
Proof. intros Hn. auto_derive; [exact I|field; lra]. Qed.

Theorem l1_derivative_away_from_0 c w :
  w <> 0 -> is_derive (fun t => c * Rabs t) w (c * sgn w).
Proof.
  intros Hw. unfold sgn. destruct (Rlt_dec 0 w) as [P|P].
  - destruct (Rlt_dec w 0); [lra|].
    apply (is_derive_ext_loc (fun t => c * t)).
    + exists (mkposreal w P). intros t Ht. cbn in Ht.
      unfold ball in Ht. cbn in Ht. unfold AbsRing_ball, abs, minus, plus, opp in Ht.
      cbn in Ht. apply Rabs_def2 in Ht. rewrite Rabs_pos_eq by lra. reflexivity.
    + auto_derive; [exact I|ring].
  - destruct (Rlt_dec w 0) as [N|N]; [|lra].
    apply (is_derive_ext_loc (fun t => c * - t)).
    + exists (mkposreal (- w) ltac:(lra)). intros t Ht. cbn in Ht.
      unfold ball in Ht. cbn in Ht. unfold AbsRing_ball, abs, minus, plus, opp in Ht.
      cbn in Ht. apply Rabs_def2 in Ht. rewrite Rabs_left by lra. reflexivity.
    + auto_derive; [exact I|ring].
Qed.

(** At 0: [g] is a subgradient of [t |-> c |t|] iff [-c <= g <= c]; the
    code's choice [c sgn 0 = 0] is one (the one of least magnitude). *)
Theorem l1_subgradient_at_0 c :
  0 <= c ->
  (forall g, (forall t, c * Rabs 0 + g * (t - 0) <= c * Rabs t) <-> -c <= g <= c) /\
  c * sgn 0 = 0.
Proof.
  intros Hc. split; [|rewrite sgn_0; ring].
  intros g. rewrite Rabs_R0. split.
  - intros H. pose proof (H 1) as H1. pose proof (H (-1)) as H2.
    rewrite Rabs_R1 in H1. rewrite Rabs_left in H2 by lra. lra.
  - intros Hg t. destruct (Rle_dec 0 t).
    + rewrite Rabs_pos_eq by lra. nra.
    + rewrite Rabs_left by lra. nra.
Qed.

(** ** The regularised batch gradient at any depth *)

(** [sum_{l=1..L} sum_{j < sz l} sum_{k < sz (l-1)} h (W^l_jk)]. *)
Definition wsum (sz : nat -> nat) (L : nat) (h : R -> R)
  (W : nat -> nat -> nat -> R) : R :=
  fsum L (fun l' => fsum (sz (S l')) (fun j' => fsum (sz l') (fun k' =>
    h (W (S l') j' k')))).

(** Only the entry [(l, j, k)] moves: the triple sum has slope [h'(W^l_jk)]. *)
Lemma wsum_derivative sz L (h : R -> R) (dh : R) W l j k :
  (1 <= l <= L)%nat -> (j < sz l)%nat -> (k < sz (l - 1))%nat ->
  is_derive h (W l j k) dh ->
  is_derive (fun t => wsum sz L h (updW W l j k t)) (W l j k) dh.
Proof.
  intros Hl Hj Hk Hh. destruct l as [|p]; [lia|].
  replace (S p - 1)%nat with p in Hk by lia.
  unfold wsum.
  apply (is_derive_eq _ _ (fsum L (fun l' => fsum (sz (S l')) (fun j' =>
          fsum (sz l') (fun k' => kron l' p * (kron j' j * (kron k' k * dh))))))).
  - apply is_derive_fsum. intros l' _. apply is_derive_fsum. intros j' _.
    apply is_derive_fsum. intros k' _.
    unfold updW, upd, kron.
    destruct (Nat.eqb (S l') (S p)) eqn:E1; destruct (Nat.eqb l' p) eqn:E1';
      try (apply Nat.eqb_eq in E1; apply Nat.eqb_neq in E1'; lia);
      try (apply Nat.eqb_neq in E1; apply Nat.eqb_eq in E1'; lia).
    + apply Nat.eqb_eq in E1'. subst l'.
      destruct (Nat.eqb j' j) eqn:E2; destruct (Nat.eqb k' k) eqn:E3.
      * apply Nat.eqb_eq in E2, E3. subst. apply (is_derive_eq _ _ dh); [exact Hh|ring].
      * apply (is_derive_eq _ _ 0); [apply is_derive_const_R|ring].
      * apply (is_derive_eq _ _ 0); [apply is_derive_const_R|ring].
      * apply (is_derive_eq _ _ 0); [apply is_derive_const_R|ring].
    + apply (is_derive_eq _ _ 0); [apply is_derive_const_R|ring].
  - rewrite (fsum_ext L _ (fun l' => kron l' p * fsum (sz (S l'))
               (fun j' => kron j' j * fsum (sz l') (fun k' => kron k' k * dh)))).
    + rewrite (fsum_kron L p (fun l' => fsum (sz (S l'))
               (fun j' => kron j' j * fsum (sz l') (fun k' => kron k' k * dh)))) by lia.
      rewrite (fsum_kron _ j (fun j' => fsum (sz p) (fun k' => kron k' k * dh))) by exact Hj.
      rewrite (fsum_kron _ k (fun _ => dh)) by exact Hk. reflexivity.
    + intros l' _. rewrite <- fsum_scal_l. apply fsum_ext. intros j' _.
      rewrite <- !fsum_scal_l. reflexivity.
Qed.

Lemma wsum_zero sz L h W : (forall w, h w = 0) -> wsum sz L h W = 0.
Proof.
  intros H. unfold wsum.
  rewrite (fsum_ext _ _ (fun _ => 0)); [apply fsum_zero|]. intros l' _.
  rewrite (fsum_ext _ _ (fun _ => 0)); [apply fsum_zero|]. intros j' _.
  rewrite (fsum_ext _ _ (fun _ => 0)); [apply fsum_zero|]. intros k' _. apply H.
Qed.

(** The code's regularised mini-batch cost: [m] samples [X x] with output
    costs [g x], the mean over the batch, L2 and L1 over the training-set
    size [n]. *)
Definition reg_cost (sz : nat -> nat) (L : nat) (lam lam1 n : R) W : R :=
  wsum sz L (fun w => lam / (2 * n) * w ^ 2) W + wsum sz L (fun w => lam1 / n * Rabs w) W.

Definition batch_cost sz (b : nat -> nat -> R) L (m : nat) (X : nat -> nat -> R)
  (g : nat -> (nat -> R) -> R) (lam lam1 n : R) W : R :=
  / INR m * fsum m (fun s => g s (zfb sz (X s) W b L)) + reg_cost sz L lam lam1 n W.

(** The batch matrices: column [s] of [D] is [delta^l] of sample [s],
    column [s] of [A] is [a^{l-1}] of sample [s]; [(D A^T)_jk]. *)
Definition DAt (m : nat) (D A : nat -> nat -> R) (j k : nat) : R :=
  fsum m (fun s => D j s * A k s).

Theorem regularised_batch_gradient sz b L m X g dL lam lam1 n W l j k :
  (1 <= l <= L)%nat -> (j < sz l)%nat -> (k < sz (l - 1))%nat -> 0 < n ->
  (lam1 = 0 \/ W l j k <> 0) ->
  (forall s, (s < m)%nat -> has_grad (sz L) (g s) (zfb sz (X s) W b L) (dL s)) ->
  is_derive (fun t => batch_cost sz b L m X g lam lam1 n (updW W l j k t)) (W l j k)
    (/ INR m * DAt m (fun j' s => delta sz b (X s) W L (dL s) l j')
                     (fun k' s => ain sz (X s) W b (l - 1) k') j k
     + lam / n * W l j k + lam1 / n * sgn (W l j k)).
Proof.
  intros Hl Hj Hk Hn H1 Hg. unfold batch_cost, reg_cost, DAt.
  rewrite Rplus_assoc. apply is_derive_Rplus; [|apply is_derive_Rplus].
  - apply is_derive_Rscal. apply is_derive_fsum. intros s Hs.
    apply bp4_weight_any_depth; auto.
  - apply wsum_derivative; auto. apply l2_derivative, Hn.
  - destruct H1 as [H1|H1].
    + rewrite H1. apply (is_derive_ext (fun _ => 0)).
      * intros t. symmetry. apply wsum_zero. intros w. unfold Rdiv. ring.
      * apply (is_derive_eq _ _ 0); [apply is_derive_const_R|unfold Rdiv; ring].
    + apply wsum_derivative; auto. apply l1_derivative_away_from_0, H1.
Qed.

(** ** The step the code executes *)

(** [gpi_sgd_coefficients]: [decay = 1 - eta lambda/n], [alpha = -eta/m],
    [shrink = (eta lambda1/n) / decay]; [update_layer] computes
    [decay (w - shrink sgn w) + alpha (D A^T)_jk] for a weight and
    [b + alpha (D 1)_j] for a bias.  Both are [p - eta dJ/dp]. *)
Theorem sgd_fused_weight_update eta lam lam1 n m w S :
  0 < n -> 0 < m -> 0 < 1 - eta * lam / n ->
  let decay := 1 - eta * lam / n in
  let shrink := eta * lam1 / n / decay in
  let alpha := - eta / m in
  decay * (w - shrink * sgn w) + alpha * S
  = w - eta * (/ m * S + lam / n * w + lam1 / n * sgn w).
Proof.
  intros Hn Hm Hd. cbv zeta.
  assert (H2 : 0 < n - eta * lam).
  { apply (Rmult_lt_reg_r (/ n)); [apply Rinv_0_lt_compat; lra|].
    replace ((n - eta * lam) * / n) with (1 - eta * lam / n) by (field; lra). lra. }
  field. repeat split; lra.
Qed.

Theorem sgd_fused_bias_update eta m bj S :
  0 < m -> bj + (- eta / m) * S = bj - eta * (/ m * S).
Proof. intros Hm. field. lra. Qed.

(** The SGD step at any depth: the new weight the code writes is
    [W^l_jk - eta G], where [G] is the derivative of the regularised batch
    cost with respect to [W^l_jk]. *)
Theorem sgd_step_any_depth sz b L m X g dL eta lam lam1 n W l j k :
  (1 <= l <= L)%nat -> (j < sz l)%nat -> (k < sz (l - 1))%nat -> 0 < n ->
  (0 < m)%nat -> 0 < 1 - eta * lam / n ->
  (lam1 = 0 \/ W l j k <> 0) ->
  (forall s, (s < m)%nat -> has_grad (sz L) (g s) (zfb sz (X s) W b L) (dL s)) ->
  let S := DAt m (fun j' s => delta sz b (X s) W L (dL s) l j')
                 (fun k' s => ain sz (X s) W b (l - 1) k') j k in
  let decay := 1 - eta * lam / n in
  exists G,
    is_derive (fun t => batch_cost sz b L m X g lam lam1 n (updW W l j k t)) (W l j k) G /\
    decay * (W l j k - eta * lam1 / n / decay * sgn (W l j k)) + (- eta / INR m) * S
    = W l j k - eta * G.
Proof.
  intros Hl Hj Hk Hn Hm Hd H1 Hg S decay. eexists. split.
  - apply regularised_batch_gradient; eassumption.
  - unfold decay. rewrite sgd_fused_weight_update; [reflexivity|exact Hn| |exact Hd].
    apply lt_0_INR, Hm.
Qed.

(** ** A small step descends *)

Lemma negative_derivative_descends (f : R -> R) l :
  is_derive f 0 l -> l < 0 ->
  exists e, 0 < e /\ forall h, 0 < h < e -> f h < f 0.
Proof.
  intros Hd Hl. apply is_derive_Reals in Hd.
  destruct (Hd (- l / 2) ltac:(lra)) as [del Hdel].
  exists del. split; [apply cond_pos|]. intros h Hh.
  assert (Hq : Rabs ((f (0 + h) - f 0) / h - l) < - l / 2).
  { apply Hdel; [lra|]. rewrite Rabs_pos_eq by lra. lra. }
  rewrite Rplus_0_l in Hq. apply Rabs_def2 in Hq.
  assert (Q : (f h - f 0) / h < 0) by lra.
  assert (f h - f 0 < 0).
  { replace (f h - f 0) with ((f h - f 0) / h * h) by (field; lra). nra. }
  lra.
Qed.

(** If [J] has gradient [G <> 0] at [w], then [J (w - eta G) < J w] for
    every small enough [eta > 0]. *)
Theorem descent_lemma N (J : (nat -> R) -> R) w G :
  has_grad N J w G -> 0 < fsum N (fun i => G i * G i) ->
  exists e, 0 < e /\ forall eta, 0 < eta < e -> J (fun i => w i - eta * G i) < J w.
Proof.
  intros HJ Hpos.
  assert (D : is_derive (fun eta => J (fun i => w i - eta * G i)) 0
                        (fsum N (fun i => - G i * G i))).
  { apply HJ; intros i _; [ring|auto_derive; [exact I|ring]]. }
  destruct (negative_derivative_descends _ _ D) as [e [He H]].
  { rewrite (fsum_ext _ _ (fun i => -1 * (G i * G i))) by (intros; ring).
    rewrite fsum_scal_l. lra. }
  exists e. split; [exact He|]. intros eta Heta.
  specialize (H eta Heta). cbv beta in H.
  replace (J w) with (J (fun i => w i - 0 * G i)); [exact H|].
  f_equal. apply FunctionalExtensionality.functional_extensionality. intros i. ring.
Qed.

(** ** The sparse path's step (src/sparse.c) *)

(** A sample as the sparse path holds it: a list of (index, value) pairs, the
    non-zero inputs; [dense] is the input vector it stands for (the values
    at index [j] added up: the one value, or 0 where the pixel is absent). *)
Definition dense (l : list (nat * R)) (j : nat) : R :=
  fold_right (fun p acc => (if Nat.eqb (fst p) j then snd p else 0) + acc) 0 l.

(** [update_panel]: for each pair [(i, x)] of the sample in turn,
    [W_i <- W_i + x d] ([d = alpha delta] of that sample). *)
Definition add_sample (Wr : nat -> R) (l : list (nat * R)) (d : R) : nat -> R :=
  fold_left (fun V p => upd V (fst p) (V (fst p) + snd p * d)) l Wr.

(** [decay_rows], then [update_rows] over the samples in order, for one row
    [Wr] of [W^1] ([D s] the row's [delta^1] of sample [s]). *)
Definition decayed (decay shrink : R) (Wr : nat -> R) (k : nat) : R :=
  decay * (Wr k - shrink * sgn (Wr k)).

Fixpoint sparse_row_step (decay shrink alpha : R) (Xs : nat -> list (nat * R))
  (D : nat -> R) (Wr : nat -> R) (m : nat) : nat -> R :=
  match m with
  | O => decayed decay shrink Wr
  | S q => add_sample (sparse_row_step decay shrink alpha Xs D Wr q) (Xs q) (alpha * D q)
  end.

Lemma add_sample_at Wr l d k : add_sample Wr l d k = Wr k + dense l k * d.
Proof.
  revert Wr. induction l as [|p l IH]; intros Wr; [unfold add_sample, dense; simpl; ring|].
  change (add_sample Wr (p :: l) d k)
    with (add_sample (upd Wr (fst p) (Wr (fst p) + snd p * d)) l d k).
  change (dense (p :: l) k) with ((if Nat.eqb (fst p) k then snd p else 0) + dense l k).
  rewrite IH. unfold upd.
  destruct (Nat.eqb k (fst p)) eqn:E.
  - apply Nat.eqb_eq in E. subst k. rewrite Nat.eqb_refl. ring.
  - rewrite Nat.eqb_sym, E. ring.
Qed.

(** Exactly, over the reals: every weight of the row ends as
    [decay (w - shrink sgn w) + alpha sum_s D_s x_sk], the dense step's value;
    a weight whose input is 0 in every sample gets the decay and shrink only. *)
Theorem sparse_row_step_at decay shrink alpha Xs D Wr m k :
  sparse_row_step decay shrink alpha Xs D Wr m k
  = decay * (Wr k - shrink * sgn (Wr k)) + alpha * fsum m (fun s => D s * dense (Xs s) k).
Proof.
  induction m as [|q IH]; simpl.
  - unfold decayed. ring.
  - rewrite add_sample_at, IH. ring.
Qed.

(** The sparse step at any depth: with [decay = 1 - eta lambda/n],
    [shrink = (eta lambda1/n)/decay], [alpha = -eta/m]
    ([gpi_sgd_coefficients]), the weight [W^1_jk] the sparse path writes is
    [W^1_jk - eta G], [G] the derivative of the regularised batch cost (L2
    and L1) with respect to it, the batch being the dense inputs. *)
Theorem sgd_sparse_step_any_depth sz b L m Xs g dL eta lam lam1 n W j k :
  (1 <= L)%nat -> (j < sz 1%nat)%nat -> (k < sz 0%nat)%nat -> 0 < n ->
  (0 < m)%nat -> 0 < 1 - eta * lam / n ->
  (lam1 = 0 \/ W 1%nat j k <> 0) ->
  let X := fun s => dense (Xs s) in
  (forall s, (s < m)%nat -> has_grad (sz L) (g s) (zfb sz (X s) W b L) (dL s)) ->
  let decay := 1 - eta * lam / n in
  let shrink := eta * lam1 / n / decay in
  let alpha := - eta / INR m in
  exists G,
    is_derive (fun t => batch_cost sz b L m X g lam lam1 n (updW W 1 j k t)) (W 1%nat j k) G /\
    sparse_row_step decay shrink alpha Xs (fun s => delta sz b (X s) W L (dL s) 1 j)
      (W 1%nat j) m k
    = W 1%nat j k - eta * G.
Proof.
  intros HL Hj Hk Hn Hm Hd H1 X Hg decay shrink alpha.
  destruct (sgd_step_any_depth sz b L m X g dL eta lam lam1 n W 1 j k ltac:(lia) Hj Hk Hn
              Hm Hd H1 Hg) as [G [HG E]].
  exists G. split; [exact HG|]. rewrite sparse_row_step_at, <- E.
  unfold DAt. reflexivity.
Qed.

(** Where [W^1_jk = 0] with L1 the cost has no derivative; the sparse step is
    then the subgradient step with the code's [sgn 0 = 0]
    ([l1_subgradient_at_0]): for every weight,
    [w - eta ((1/m) (D X^T)_jk + (lambda/n) w + (lambda1/n) sgn w)]. *)
Corollary sparse_row_step_subgradient eta lam lam1 n m Xs D Wr k :
  0 < n -> (0 < m)%nat -> 0 < 1 - eta * lam / n ->
  let decay := 1 - eta * lam / n in
  sparse_row_step decay (eta * lam1 / n / decay) (- eta / INR m) Xs D Wr m k
  = Wr k - eta * (/ INR m * fsum m (fun s => D s * dense (Xs s) k)
                  + lam / n * Wr k + lam1 / n * sgn (Wr k)).
Proof.
  intros Hn Hm Hd decay. rewrite sparse_row_step_at.
  apply sgd_fused_weight_update; [exact Hn|apply lt_0_INR, Hm|exact Hd].
Qed.
