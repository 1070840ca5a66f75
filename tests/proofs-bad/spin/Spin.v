(* Fixture: a proof that runs for hours (10^12 steps of evaluation).
   The per-file timeout must stop it and reject the file. *)
From Coq Require Import NArith.
Lemma spin : N.iter 1000000000000 negb true = true.
Proof. vm_compute. reflexivity. Qed.
