(** * FloatDeep: the per-layer forward bounds composed through [L] layers

    Deep.v's network ([zfb], [ain]; every layer sigmoid) evaluated in
    floating point from a computed input [xh]: each [z^l_j] is FloatPass.v's
    recursive sum of [n + 1] rounded terms ([ext]: the bias last, stored
    weights exact), each activation a computed sigmoid [sg] with relative
    error [c] ([sigmoid_fl_error]: [c = 6u] for [gp_sigmoid] on libm's
    [exp]; [sigmoid_fl_model]).  With [N^l >= sum_k |W^l_jk|] (the row sums),
    [beta^l >= |b^l_j|], [alpha^0 >= |x_k|] and [alpha^l = 1] for [l >= 1]
    (a sigmoid is below 1), layer [l] maps an input error [e] to
    [A_l e + B_l] ([layer_step]) with
    [A_l = (1 + gamma_{n+1}) N^l / 4] and
    [B_l = c + gamma_{n+1} (N^l alpha^{l-1} + beta^l) / 4], [n = sz (l-1)].
    - [linear_recurrence_closed]: [e_{p+1} <= A_p e_p + B_p] for [p < L]
      gives [e_L <= (prod_{p<L} A_p) e_0 + sum_{p<L} (prod_{p<q<L} A_q) B_p];
    - [forward_pass_error]: every [|ah^l_j - a^l_j|], [l <= L], is within
      that closed form ([pass_bound l]).
    C: src/bounds.c [z_bound] and [act_bound] compose the same per-layer
    models numerically, entry by entry (sharper than these row-sum norms). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Flocq Require Import Core.
From Gradproof Require Import Common Sigmoid Gradient Backprop Deep FloatBounds FloatPass
  FloatStep.
Open Scope R_scope.

(** [pprod A lo k = A lo * ... * A (lo + k - 1)]. *)
Fixpoint pprod (A : nat -> R) (lo k : nat) : R :=
  match k with
  | O => 1
  | S k' => A (lo + k')%nat * pprod A lo k'
  end.

Definition closed_form (A B : nat -> R) (e0 : R) (L : nat) : R :=
  pprod A 0 L * e0 + fsum L (fun p => pprod A (S p) (L - S p) * B p).

Lemma pprod_nonneg A lo k : (forall p, 0 <= A p) -> 0 <= pprod A lo k.
Proof.
  intros H. induction k as [|k IH]; simpl; [lra|]. apply Rmult_le_pos; auto.
Qed.

(** One more layer: [closed (L + 1) = A_L closed L + B_L]. *)
Lemma closed_form_S A B e0 L :
  closed_form A B e0 (S L) = A L * closed_form A B e0 L + B L.
Proof.
  unfold closed_form.
  change (pprod A 0 (S L)) with (A (0 + L)%nat * pprod A 0 L).
  change (fsum (S L) ?f) with (fsum L f + f L). cbv beta.
  rewrite Nat.sub_diag, Nat.add_0_l. change (pprod A (S L) 0) with 1.
  rewrite (fsum_ext L _ (fun p => A L * (pprod A (S p) (L - S p) * B p))).
  - rewrite fsum_scal_l. ring.
  - intros p Hp. replace (S L - S p)%nat with (S (L - S p)) by lia.
    change (pprod A (S p) (S (L - S p)))
      with (A (S p + (L - S p))%nat * pprod A (S p) (L - S p)).
    replace (S p + (L - S p))%nat with L by lia. ring.
Qed.

Lemma closed_form_nonneg A B e0 L :
  (forall p, 0 <= A p) -> (forall p, 0 <= B p) -> 0 <= e0 -> 0 <= closed_form A B e0 L.
Proof.
  intros HA HB He. induction L as [|L IH].
  - unfold closed_form. simpl. lra.
  - rewrite closed_form_S. pose proof (HA L). pose proof (HB L).
    assert (0 <= A L * closed_form A B e0 L) by (apply Rmult_le_pos; auto). lra.
Qed.

(** The induction on depth: a linear recurrence of per-layer bounds. *)
Theorem linear_recurrence_closed (A B e : nat -> R) L :
  (forall p, 0 <= A p) -> (forall p, (p < L)%nat -> e (S p) <= A p * e p + B p) ->
  e L <= closed_form A B (e O) L.
Proof.
  intros HA H. induction L as [|L IH].
  - unfold closed_form. simpl. lra.
  - rewrite closed_form_S. pose proof (H L ltac:(lia)) as HL.
    assert (E : e L <= closed_form A B (e O) L) by (apply IH; intros; apply H; lia).
    pose proof (Rmult_le_compat_l (A L) _ _ (HA L) E). lra.
Qed.

Section Forward.

Variables (r : R -> R) (v : R).
Hypothesis r_model : forall x, Rabs (r x - x) <= v * Rabs x.
Hypothesis r_idem : forall x, r (r x) = r x.
Hypothesis v_pos : 0 <= v.

(** The computed sigmoid, relative error [c]. *)
Variables (sg : R -> R) (c : R).
Hypothesis sg_err : forall t, Rabs (sg t - sigma t) <= c * sigma t.
Hypothesis c_pos : 0 <= c.

Definition gam (n : nat) : R := INR n * v / (1 - INR n * v).

Lemma gam_nonneg n : INR n * v < 1 -> 0 <= gam n.
Proof.
  intros H. unfold gam. apply Rmult_le_pos; [apply Rmult_le_pos; [apply pos_INR|exact v_pos]|].
  left. apply Rinv_0_lt_compat. lra.
Qed.

(** One layer: input error [e] (inputs bounded by [al]) to output error. *)
Theorem layer_step n (w ah a : nat -> R) (bj e al Nr be : R) :
  INR (S n) * v < 1 -> 0 <= e -> 0 <= al ->
  (forall k, (k < n)%nat -> Rabs (ah k - a k) <= e) ->
  (forall k, (k < n)%nat -> Rabs (a k) <= al) ->
  fsum n (fun k => Rabs (w k)) <= Nr -> Rabs bj <= be ->
  Rabs (sg (fdot r (S n) (ext n w bj) (ext n ah 1)) - sigma (fsum n (fun k => w k * a k) + bj))
  <= (1 + gam (S n)) * Nr / 4 * e + (c + gam (S n) * (Nr * al + be) / 4).
Proof.
  intros Hn He Hal Hah Ha HN Hb.
  pose proof (layer_z_error r v r_model r_idem v_pos n w ah w a bj bj Hn) as Z.
  fold (gam (S n)) in Z. pose proof (gam_nonneg (S n) Hn) as G.
  set (zh := fdot r (S n) (ext n w bj) (ext n ah 1)) in *.
  set (z := fsum n (fun k => w k * a k) + bj) in *.
  assert (S1 : fsum n (fun k => Rabs (w k * ah k)) <= Nr * (al + e)).
  { eapply Rle_trans; [|apply Rmult_le_compat_r; [lra|exact HN]].
    rewrite <- fsum_scal_r. apply fsum_le. intros k Hk. rewrite Rabs_mult.
    apply Rmult_le_compat_l; [apply Rabs_pos|].
    pose proof (abs_near _ _ _ (Hah k Hk)). pose proof (Ha k Hk). lra. }
  assert (S2 : fsum n (fun k => Rabs (w k - w k) * Rabs (ah k)) = 0).
  { rewrite <- (fsum_zero n). apply fsum_ext. intros. rewrite Rminus_diag_eq, Rabs_R0 by reflexivity. ring. }
  assert (S3 : fsum n (fun k => Rabs (w k) * Rabs (ah k - a k)) <= Nr * e).
  { eapply Rle_trans; [|apply Rmult_le_compat_r; [lra|exact HN]].
    rewrite <- fsum_scal_r. apply fsum_le. intros k Hk.
    apply Rmult_le_compat_l; [apply Rabs_pos|auto]. }
  rewrite S2 in Z. replace (bj - bj) with 0 in Z by ring. rewrite Rabs_R0 in Z.
  assert (Ez : Rabs (zh - z) <= gam (S n) * (Nr * (al + e) + be) + Nr * e).
  { assert (gam (S n) * (fsum n (fun k => Rabs (w k * ah k)) + Rabs bj)
            <= gam (S n) * (Nr * (al + e) + be)) by (apply Rmult_le_compat_l; lra).
    lra. }
  pose proof (sg_err zh) as Sg. pose proof (sigma_lipschitz zh z) as Lp.
  pose proof (sigma_lt_1 zh). pose proof (sigma_pos zh).
  assert (c * sigma zh <= c) by (rewrite <- (Rmult_1_r c) at 2; apply Rmult_le_compat_l; lra).
  replace (sg zh - sigma z) with ((sg zh - sigma zh) + (sigma zh - sigma z)) by ring.
  eapply Rle_trans; [apply Rabs_triang|]. nra.
Qed.

(** The network: widths [sz], weights [W l j k], biases [b l j], exact
    input [x], computed input [xh]. *)
Variables (sz : nat -> nat) (W : nat -> nat -> nat -> R) (b : nat -> nat -> R).
Variables (x xh : nat -> R).

(** The computed activations: [ahf 0 = xh], [ahf l = sg (fl-sum of layer l)]. *)
Fixpoint ahf (l : nat) : nat -> R :=
  match l with
  | O => xh
  | S p => fun j => sg (fdot r (S (sz p)) (ext (sz p) (W l j) (b l j)) (ext (sz p) (ahf p) 1))
  end.

Variables (N beta : nat -> R) (xmax e0 : R).

Definition alpha (p : nat) : R := match p with O => xmax | S _ => 1 end.
Definition Acoef (p : nat) : R := (1 + gam (S (sz p))) * N (S p) / 4.
Definition Bcoef (p : nat) : R := c + gam (S (sz p)) * (N (S p) * alpha p + beta (S p)) / 4.

(** The closed-form bound after [l] layers. *)
Definition pass_bound (l : nat) : R := closed_form Acoef Bcoef e0 l.

Theorem forward_pass_error L :
  (forall p, (p < L)%nat -> INR (S (sz p)) * v < 1) ->
  (forall p, 0 <= N p) -> (forall p, 0 <= beta p) -> 0 <= xmax -> 0 <= e0 ->
  (forall p j, (p < L)%nat -> (j < sz (S p))%nat ->
     fsum (sz p) (fun k => Rabs (W (S p) j k)) <= N (S p) /\ Rabs (b (S p) j) <= beta (S p)) ->
  (forall k, (k < sz 0)%nat -> Rabs (x k) <= xmax /\ Rabs (xh k - x k) <= e0) ->
  forall l j, (l <= L)%nat -> (j < sz l)%nat ->
  Rabs (ahf l j - ain sz x W b l j) <= pass_bound l.
Proof.
  intros Hg HN Hbe Hx He HW HX.
  (* coefficients are nonnegative once the gammas are *)
  assert (HA : forall p, (p < L)%nat -> 0 <= Acoef p).
  { intros p Hp. unfold Acoef. pose proof (gam_nonneg _ (Hg p Hp)). pose proof (HN (S p)).
    apply Rmult_le_pos; [|lra]. nra. }
  induction l as [|p IH]; intros j Hl Hj.
  - unfold pass_bound, closed_form. simpl. rewrite Rmult_1_l, Rplus_0_r. apply HX, Hj.
  - assert (Hp : (p < L)%nat) by lia.
    assert (Hpos : forall q, (q <= p)%nat -> 0 <= pass_bound q).
    { intros q Hq. unfold pass_bound.
      induction q as [|q IHq]; [unfold closed_form; simpl; lra|].
      rewrite closed_form_S. pose proof (HA q ltac:(lia)).
      assert (0 <= closed_form Acoef Bcoef e0 q) by (apply IHq; lia).
      assert (0 <= Bcoef q).
      { unfold Bcoef. pose proof (gam_nonneg _ (Hg q ltac:(lia))). pose proof (HN (S q)).
        pose proof (Hbe (S q)). assert (0 <= alpha q) by (destruct q; simpl; lra).
        assert (0 <= N (S q) * alpha q) by (apply Rmult_le_pos; lra).
        assert (0 <= gam (S (sz q)) * (N (S q) * alpha q + beta (S q))) by (apply Rmult_le_pos; lra).
        lra. }
      assert (0 <= Acoef q * closed_form Acoef Bcoef e0 q) by (apply Rmult_le_pos; lra).
      lra. }
    destruct (HW p j Hp Hj) as [HNr Hbj].
    unfold pass_bound. rewrite closed_form_S. fold (pass_bound p).
    change (ain sz x W b (S p) j) with (sigma (zfb sz x W b (S p) j)).
    rewrite zfb_S. unfold layer. simpl ahf.
    unfold Acoef, Bcoef.
    apply layer_step.
    + apply Hg, Hp.
    + apply Hpos. lia.
    + destruct p; simpl; lra.
    + intros k Hk. apply IH; [lia|exact Hk].
    + intros k Hk. destruct p as [|q].
      * apply HX, Hk.
      * change (Rabs (sigma (zfb sz x W b (S q) k)) <= 1). pose proof (sigma_pos (zfb sz x W b (S q) k)).
        pose proof (sigma_lt_1 (zfb sz x W b (S q) k)). rewrite Rabs_pos_eq; lra.
    + exact HNr.
    + exact Hbj.
Qed.

End Forward.

(** [gp_sigmoid] on libm's [exp] (any function [expm] within one ulp, the
    normal-result side condition of [sigmoid_fl_error]) is such an [sg]
    with [c = 6u]. *)
Theorem sigmoid_fl_model (expm : R -> R) :
  (forall t, exp_within_ulp (- Rabs t) (expm t)) ->
  (forall t, t < 0 -> bpow radix2 (-1022) <= expm t / fl (1 + expm t)) ->
  forall t, Rabs (sigmoid_fl t (expm t) - sigma t) <= 6 * u * sigma t.
Proof. intros H1 H2 t. apply sigmoid_fl_error; auto. Qed.
