(** * Temperature: softmax with a temperature parameter

    [a_j(c) = e^{c z_j} / sum_k e^{c z_k}], [c > 0]  (SPEC identity 10).
    It is a probability distribution, and as [c -> +infinity] it tends to
    the indicator of the arg max, shared equally among ties: with maximum
    [M] reached by [T] indices, [a_j(c) -> 1[z_j = M] / T].
    C: [gp_softmax_temp] (src/activation.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Softmax.
Open Scope R_scope.

Definition softmax_temp (n : nat) (c : R) (z : nat -> R) (j : nat) : R :=
  softmax n (fun i => c * z i) j.

Theorem softmax_temp_distribution n c z :
  (1 <= n)%nat ->
  (forall j, 0 < softmax_temp n c z j) /\ fsum n (softmax_temp n c z) = 1.
Proof.
  intros Hn. split.
  - intros j. apply softmax_positive, Hn.
  - apply softmax_sums_to_one, Hn.
Qed.

(** [1] if [z_k] is the maximum [M], else [0]; [ties] counts the maxima. *)
Definition at_max (M r : R) : R := if Req_EM_T r M then 1 else 0.
Definition ties (n : nat) (z : nat -> R) (M : R) : R :=
  fsum n (fun k => at_max M (z k)).

Lemma is_lim_fsum n (f : nat -> R -> R) (l : nat -> R) x :
  (forall k, (k < n)%nat -> is_lim (f k) x (l k)) ->
  is_lim (fun c => fsum n (fun k => f k c)) x (fsum n l).
Proof.
  induction n as [|n IH]; intros H; simpl.
  - apply is_lim_const.
  - apply is_lim_plus'; [apply IH; intros; apply H; lia|apply H; lia].
Qed.

Lemma lim_exp_scaled M r :
  r <= M -> is_lim (fun c => exp (c * (r - M))) p_infty (at_max M r).
Proof.
  intros Hr. unfold at_max. destruct (Req_EM_T r M) as [->|Hne].
  - apply (is_lim_ext (fun _ => 1)).
    + intros c. replace (c * (M - M)) with 0 by ring. now rewrite exp_0.
    + apply is_lim_const.
  - assert (Hd : r - M < 0) by (destruct Hr; [lra|contradiction]).
    apply (is_lim_comp exp (fun c => c * (r - M)) p_infty 0 m_infty).
    + apply is_lim_exp_m.
    + replace m_infty with (Rbar_mult p_infty (r - M)).
      * apply is_lim_mult; [apply is_lim_id|apply is_lim_const|].
        simpl. intros E. lra.
      * simpl. destruct (Rle_dec 0 (r - M)) as [H|H]; [exfalso; lra|reflexivity].
    + exists 0. intros y _. discriminate.
Qed.

Lemma ties_pos n z M m :
  (m < n)%nat -> z m = M -> 0 < ties n z M.
Proof.
  intros Hm Hzm. apply (fsum_pos_one n m); [exact Hm| |].
  - intros i _. unfold at_max. destruct (Req_EM_T (z i) M); lra.
  - unfold at_max. destruct (Req_EM_T (z m) M); [lra|contradiction].
Qed.

(** SPEC 10: the limit [c -> +infinity] is [1[z_j = M] / T]: the indicator
    of a unique arg max, shared equally among ties. *)
Theorem softmax_temp_limit n z M m j :
  (m < n)%nat -> z m = M -> (forall k, (k < n)%nat -> z k <= M) ->
  (j < n)%nat ->
  is_lim (fun c => softmax_temp n c z j) p_infty
         (at_max M (z j) / ties n z M).
Proof.
  intros Hm Hzm Hmax Hj.
  assert (Hn : (1 <= n)%nat) by lia.
  apply (is_lim_ext (fun c => exp (c * (z j - M))
                              / fsum n (fun k => exp (c * (z k - M))))).
  { intros c. unfold softmax_temp.
    rewrite <- (softmax_shift_invariant n _ (- (c * M)) j Hn).
    unfold softmax, softmax_denom. f_equal.
    - f_equal. ring.
    - apply fsum_ext. intros k _. f_equal. ring. }
  pose proof (ties_pos n z M m Hm Hzm) as HT.
  pose proof (is_lim_fsum n (fun k c => exp (c * (z k - M)))
                (fun k => at_max M (z k)) p_infty
                (fun k Hk => lim_exp_scaled M (z k) (Hmax k Hk))) as HD.
  pose proof (lim_exp_scaled M (z j) (Hmax j Hj)) as HN.
  pose proof (is_lim_div _ _ p_infty _ _ HN HD) as L.
  simpl in L. apply L.
  - unfold ties in HT. intros E. apply (f_equal real) in E. simpl in E. lra.
  - exact I.
Qed.

(** The unique-arg-max case: [a_m -> 1] and [a_j -> 0] for [j <> m]. *)
Corollary softmax_temp_limit_unique n z m :
  (m < n)%nat -> (forall k, (k < n)%nat -> k <> m -> z k < z m) ->
  is_lim (fun c => softmax_temp n c z m) p_infty 1 /\
  (forall j, (j < n)%nat -> j <> m ->
     is_lim (fun c => softmax_temp n c z j) p_infty 0).
Proof.
  intros Hm Hlt.
  assert (Hmax : forall k, (k < n)%nat -> z k <= z m).
  { intros k Hk. destruct (Nat.eq_dec k m) as [->|H]; [lra|].
    left. apply Hlt; assumption. }
  assert (HT : ties n z (z m) = 1).
  { unfold ties. rewrite <- (fsum_kron n m (fun _ => 1) Hm).
    apply fsum_ext. intros k Hk. unfold at_max, kron.
    destruct (Nat.eqb k m) eqn:E.
    - apply Nat.eqb_eq in E. subst.
      destruct (Req_EM_T (z m) (z m)); [ring|contradiction].
    - apply Nat.eqb_neq in E. pose proof (Hlt k Hk E).
      destruct (Req_EM_T (z k) (z m)); [lra|ring]. }
  split.
  - pose proof (softmax_temp_limit n z (z m) m m Hm eq_refl Hmax Hm) as L.
    rewrite HT in L. unfold at_max in L.
    destruct (Req_EM_T (z m) (z m)); [|contradiction].
    replace (1 / 1) with 1 in L by field. exact L.
  - intros j Hj Hjm.
    pose proof (softmax_temp_limit n z (z m) m j Hm eq_refl Hmax Hj) as L.
    rewrite HT in L. unfold at_max in L. pose proof (Hlt j Hj Hjm).
    destruct (Req_EM_T (z j) (z m)); [lra|].
    replace (0 / 1) with 0 in L by field. exact L.
Qed.
