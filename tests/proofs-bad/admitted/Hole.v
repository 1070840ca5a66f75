(* Fixture: a theorem left with a hole.  Must be rejected (forbidden word). *)
From Coq Require Import Reals.
Open Scope R_scope.
Theorem sigma_half : / (1 + exp (- 0)) = / 2.
Proof.
Admitted.
