(* Fixture: a false claim assumed, then used.  Must be rejected. *)
From Coq Require Import Reals.
Open Scope R_scope.
Axiom exp_is_linear : forall x, exp x = 1 + x.
Theorem exp_1_is_2 : exp 1 = 2.
Proof. rewrite exp_is_linear. reflexivity. Qed.
