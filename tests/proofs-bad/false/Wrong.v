(* Fixture: a false statement (the derivative of the sigmoid is NOT
   sigma(z)^2) with a proof that cannot work.  coqc must fail. *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.
Definition sigma (z : R) : R := / (1 + exp (- z)).
Theorem sigma_derivative_wrong z : is_derive sigma z (sigma z * sigma z).
Proof.
  unfold sigma. auto_derive.
  - pose proof (exp_pos (- z)). lra.
  - field. pose proof (exp_pos (- z)). lra.
Qed.
