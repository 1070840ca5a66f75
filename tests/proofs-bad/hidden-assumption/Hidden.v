(* Fixture: an assumption introduced outside a section with a keyword the
   word scan does not list.  The word scan passes it; the Print Assumptions
   audit must reject it. *)
From Coq Require Import Reals.
Open Scope R_scope.
Hypothesis one_eq_two : 1 = 2.
Theorem two_eq_four : 2 = 4.
Proof. replace 2 with (1 + 1) by ring. rewrite one_eq_two. ring. Qed.
