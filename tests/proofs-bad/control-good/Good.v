(* Control fixture: a small honest proof over the reals.  Must pass. *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.
Theorem square_derivative x : is_derive (fun t => t * t) x (2 * x).
Proof. auto_derive; [exact I|ring]. Qed.
Lemma exp_positive x : 0 < exp x.
Proof. apply exp_pos. Qed.
