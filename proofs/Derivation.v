(** * Derivation: cross-entropy is forced by "no sigma' in dC/db"

    Book eqs. 71-76 (SPEC identity 4).  With [a = sigma(z)] and
    [z = w x + b], [dC/db = dC/dz = C'(a) sigma'(z) = C'(a) a (1 - a)].
    Demanding [dC/db = a - y] forces [C'(a) = (a - y) / (a (1 - a))]
    (eq. 75), and on (0,1) the only functions with that derivative are the
    cross-entropy plus a constant (eq. 76). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid CrossEntropy.
Open Scope R_scope.

(** eq. 71-75: the demand fixes [dC/da] at [a = sigma z]. *)
Theorem derivation_dCda (C : R -> R) (y z dC : R) :
  is_derive C (sigma z) dC ->
  is_derive (fun z => C (sigma z)) z (sigma z - y) ->
  dC = (sigma z - y) / (sigma z * (1 - sigma z)).
Proof.
  intros HC Hdemand.
  pose proof (is_derive_Rcomp C sigma z dC _ HC (sigma_derivative z)) as Hchain.
  apply is_derive_unique in Hchain. apply is_derive_unique in Hdemand.
  rewrite Hchain in Hdemand.
  pose proof (sigma_pos z). pose proof (sigma_lt_1 z).
  rewrite <- Hdemand. field. split; lra.
Qed.

Lemma continuity_of_derive (f : R -> R) x l :
  is_derive f x l -> continuity_pt f x.
Proof.
  intros H. apply continuity_pt_filterlim.
  apply (ex_derive_continuous (K := R_AbsRing) (V := R_NormedModule)).
  exists l. exact H.
Qed.

(** eq. 76: any antiderivative of [(a - y) / (a (1 - a))] on (0,1) is the
    cross-entropy plus a constant. *)
Theorem derivation_antiderivative (C : R -> R) (y : R) :
  (forall a, 0 < a < 1 -> is_derive C a ((a - y) / (a * (1 - a)))) ->
  exists K, forall a, 0 < a < 1 -> C a = xent y a + K.
Proof.
  intros HC. exists (C (/ 2) - xent y (/ 2)). intros a Ha.
  set (D := fun t => C t - xent y t).
  assert (HD : forall t, 0 < t < 1 -> is_derive D t 0).
  { intros t Ht. unfold D.
    replace 0 with ((t - y) / (t * (1 - t)) + - ((t - y) / (t * (1 - t))))
      by ring.
    apply is_derive_Rplus; [apply HC, Ht|].
    pose proof (is_derive_Rscal (xent y) (-1) t _ (xent_dCda y t Ht)) as H.
    apply (is_derive_ext (fun u => -1 * xent y u));
      [intros u; change (-1 * xent y u = - xent y u); ring|].
    replace (- ((t - y) / (t * (1 - t)))) with (-1 * ((t - y) / (t * (1 - t))))
      by ring. exact H. }
  destruct (MVT_gen D (/ 2) a (fun _ => 0)) as [c [_ Hc]].
  - intros x Hx. apply HD.
    pose proof (Rmin_glb_lt (/ 2) a 0 ltac:(lra) ltac:(lra)).
    pose proof (Rmax_lub_lt (/ 2) a 1 ltac:(lra) ltac:(lra)). lra.
  - intros x Hx. apply (continuity_of_derive D x 0). apply HD.
    pose proof (Rmin_glb_lt (/ 2) a 0 ltac:(lra) ltac:(lra)).
    pose proof (Rmax_lub_lt (/ 2) a 1 ltac:(lra) ltac:(lra)). lra.
  - unfold D in Hc. lra.
Qed.

Lemma sigma_logit a : 0 < a < 1 -> sigma (ln (a / (1 - a))) = a.
Proof.
  intros Ha. unfold sigma. rewrite <- ln_Rinv by (apply Rdiv_lt_0_compat; lra).
  rewrite exp_ln by (apply Rinv_0_lt_compat, Rdiv_lt_0_compat; lra).
  field. lra.
Qed.

(** The whole derivation (eqs. 71-76) in one statement: a cost [C] of the
    activation, differentiable on (0,1), for which [d C(sigma z) / dz] is
    [sigma(z) - y] at every [z], is the cross-entropy plus a constant. *)
Theorem cross_entropy_is_forced (C : R -> R) (y : R) :
  (forall a, 0 < a < 1 -> ex_derive C a) ->
  (forall z, is_derive (fun z => C (sigma z)) z (sigma z - y)) ->
  exists K, forall a, 0 < a < 1 -> C a = xent y a + K.
Proof.
  intros Hdiff Hdemand. apply derivation_antiderivative.
  intros a Ha. destruct (Hdiff a Ha) as [dC HdC].
  set (z := ln (a / (1 - a))).
  assert (Hz : sigma z = a) by (apply sigma_logit, Ha).
  rewrite <- Hz in HdC.
  pose proof (derivation_dCda C y z dC HdC (Hdemand z)) as E.
  rewrite Hz in E, HdC. rewrite <- E. exact HdC.
Qed.
