(** * Neuron: gradients of a single sigmoid neuron

    [z = w x + b], [a = sigma(z)].  Cross-entropy gives
    [dC/dw = x (sigma(z) - y)], [dC/db = sigma(z) - y]  (book eq. 61, 62);
    the quadratic cost gives [(a - y) sigma'(z) x] and [(a - y) sigma'(z)]
    (eq. 55, 56).  First for one input and one sample (the book's form),
    then for [m] inputs averaged over a batch of [N] samples (SPEC form).
    C: [gp_neuron_gradient] (src/neuron.c). *)

From Coq Require Import Reals Lra Lia.
From Coquelicot Require Import Coquelicot.
From Gradproof Require Import Common Sigmoid CrossEntropy OutputError.
Open Scope R_scope.

(** ** One input, one sample *)

Lemma is_derive_affine_w x b w : is_derive (fun w => w * x + b) w x.
Proof. auto_derive; [exact I|ring]. Qed.

Lemma is_derive_affine_b x w b : is_derive (fun b => w * x + b) b 1.
Proof. auto_derive; [exact I|ring]. Qed.

Definition neuron_xent (x y w b : R) : R := xent y (sigma (w * x + b)).
Definition neuron_quad (x y w b : R) : R := quad y (sigma (w * x + b)).

(** eq. 61 *)
Theorem neuron_xent_dCdw x y w b :
  is_derive (fun w => neuron_xent x y w b) w (x * (sigma (w * x + b) - y)).
Proof.
  apply (is_derive_Rcomp (fun z => xent y (sigma z)) (fun w => w * x + b)).
  - apply xent_sigmoid_dCdz.
  - apply is_derive_affine_w.
Qed.

(** eq. 62 *)
Theorem neuron_xent_dCdb x y w b :
  is_derive (fun b => neuron_xent x y w b) b (sigma (w * x + b) - y).
Proof.
  rewrite <- (Rmult_1_l (_ - y)).
  apply (is_derive_Rcomp (fun z => xent y (sigma z)) (fun b => w * x + b)).
  - apply xent_sigmoid_dCdz.
  - apply is_derive_affine_b.
Qed.

(** eq. 55 *)
Theorem neuron_quad_dCdw x y w b :
  is_derive (fun w => neuron_quad x y w b) w
            ((sigma (w * x + b) - y) * sigma' (w * x + b) * x).
Proof.
  rewrite Rmult_comm.
  apply (is_derive_Rcomp (fun z => quad y (sigma z)) (fun w => w * x + b)).
  - apply quad_sigmoid_dCdz.
  - apply is_derive_affine_w.
Qed.

(** eq. 56 *)
Theorem neuron_quad_dCdb x y w b :
  is_derive (fun b => neuron_quad x y w b) b
            ((sigma (w * x + b) - y) * sigma' (w * x + b)).
Proof.
  rewrite <- (Rmult_1_l (_ * sigma' _)).
  apply (is_derive_Rcomp (fun z => quad y (sigma z)) (fun b => w * x + b)).
  - apply quad_sigmoid_dCdz.
  - apply is_derive_affine_b.
Qed.

(** ** [m] inputs, mean over [N] samples

    Sample [s] has inputs [X s 0 .. X s (m-1)] and target [Y s];
    [z_s = sum_i w_i X s i + b]; the cost is [(1/N) sum_s h_s(z_s)]. *)

Definition zs (m : nat) (X : nat -> nat -> R) (w : nat -> R) (b : R) (s : nat)
  : R := fsum m (fun i => w i * X s i) + b.

Definition batch_cost (N m : nat) (h : nat -> R -> R) (X : nat -> nat -> R)
  (w : nat -> R) (b : R) : R :=
  / INR N * fsum N (fun s => h s (zs m X w b s)).

Lemma batch_dCdw N m h h' X w b j :
  (forall s z, is_derive (h s) z (h' s z)) -> (j < m)%nat ->
  is_derive (fun t => batch_cost N m h X (upd w j t) b) (w j)
            (/ INR N * fsum N (fun s => X s j * h' s (zs m X w b s))).
Proof.
  intros Hh Hj. unfold batch_cost. apply is_derive_Rscal.
  apply is_derive_fsum. intros s _. unfold zs.
  apply (is_derive_Rcomp (h s)
           (fun t => fsum m (fun i => upd w j t i * X s i) + b)).
  - rewrite fsum_upd_self. apply Hh.
  - rewrite <- (Rplus_0_r (X s j)). apply is_derive_Rplus.
    + apply (is_derive_dot_upd m w (X s) j (w j) Hj).
    + apply is_derive_const_R.
Qed.

Lemma batch_dCdb N m h h' X w b :
  (forall s z, is_derive (h s) z (h' s z)) ->
  is_derive (fun t => batch_cost N m h X w t) b
            (/ INR N * fsum N (fun s => h' s (zs m X w b s))).
Proof.
  intros Hh. unfold batch_cost. apply is_derive_Rscal.
  apply is_derive_fsum. intros s _. unfold zs.
  rewrite <- (Rmult_1_l (h' s _)).
  apply (is_derive_Rcomp (h s) (fun t => fsum m (fun i => w i * X s i) + t)).
  - apply Hh.
  - auto_derive; [exact I|ring].
Qed.

(** SPEC, eq. 61: [dC/dw_j = (1/N) sum_s X_sj (sigma(z_s) - y_s)] *)
Theorem neuron_xent_batch_dCdw N m X Y w b j :
  (j < m)%nat ->
  is_derive
    (fun t => batch_cost N m (fun s z => xent (Y s) (sigma z)) X (upd w j t) b)
    (w j)
    (/ INR N * fsum N (fun s => X s j * (sigma (zs m X w b s) - Y s))).
Proof.
  apply (batch_dCdw N m _ (fun s z => sigma z - Y s)).
  intros s z. apply xent_sigmoid_dCdz.
Qed.

(** SPEC, eq. 62: [dC/db = (1/N) sum_s (sigma(z_s) - y_s)] *)
Theorem neuron_xent_batch_dCdb N m X Y w b :
  is_derive
    (fun t => batch_cost N m (fun s z => xent (Y s) (sigma z)) X w t) b
    (/ INR N * fsum N (fun s => sigma (zs m X w b s) - Y s)).
Proof.
  apply (batch_dCdb N m _ (fun s z => sigma z - Y s)).
  intros s z. apply xent_sigmoid_dCdz.
Qed.

Theorem neuron_quad_batch_dCdw N m X Y w b j :
  (j < m)%nat ->
  is_derive
    (fun t => batch_cost N m (fun s z => quad (Y s) (sigma z)) X (upd w j t) b)
    (w j)
    (/ INR N * fsum N (fun s => X s j * ((sigma (zs m X w b s) - Y s)
                                          * sigma' (zs m X w b s)))).
Proof.
  apply (batch_dCdw N m _ (fun s z => (sigma z - Y s) * sigma' z)).
  intros s z. apply quad_sigmoid_dCdz.
Qed.

Theorem neuron_quad_batch_dCdb N m X Y w b :
  is_derive
    (fun t => batch_cost N m (fun s z => quad (Y s) (sigma z)) X w t) b
    (/ INR N * fsum N (fun s => (sigma (zs m X w b s) - Y s)
                                * sigma' (zs m X w b s))).
Proof.
  apply (batch_dCdb N m _ (fun s z => (sigma z - Y s) * sigma' z)).
  intros s z. apply quad_sigmoid_dCdz.
Qed.
