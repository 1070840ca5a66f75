"""gradproof's Python package: oracle, compare, torch.check, planted bugs, errors."""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import gradproof
import gradproof.torch as gt

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EX = os.path.join(os.environ.get("top_srcdir", ROOT), "examples")


def small_net(cost="quadratic", seed=0):
    r = np.random.default_rng(seed)
    s = [3, 4, 2]
    return gradproof.Network(s, [r.normal(size=(4, 3)), r.normal(size=(2, 4))],
                             [r.normal(size=4), r.normal(size=2)], cost)


def run_example(*args):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    return subprocess.run([sys.executable, os.path.join(EX, args[0]), *args[1:]],
                          capture_output=True, text=True, env=env)


def test_oracle_matches_finite_differences():
    net, r = small_net(), np.random.default_rng(1)
    x, y = r.random((3, 5)), r.random((2, 5))
    ref = gradproof.oracle(net, x, y, lam=0.3)

    def cost(W1):
        n2 = gradproof.Network(net.sizes, [W1, net.weights[1]], net.biases, net.cost)
        return float(gradproof.oracle(n2, x, y, lam=0.3)["cost"])
    h, W = 1e-6, net.weights[0]
    E = np.zeros_like(W); E[1, 2] = h
    num = (cost(W + E) - cost(W - E)) / (2 * h)
    assert abs(ref["dW1"][1, 2] - num) < 1e-7
    rows = gradproof.oracle(net, x.T, y.T, lam=0.3, rows=True)
    assert np.array_equal(rows["z1"], ref["z1"].T) and np.array_equal(rows["dW1"], ref["dW1"])


def test_oracle_takes_the_network_without_json(monkeypatch):
    """The oracle copies a Network's parameters into the library's network, without
    JSON text (the oracle of [784, 3000, 10] on 10 samples took 3.1 s, now 0.4 s). A
    weight changed after construction is checked all the same."""
    net, r = small_net("cross-entropy"), np.random.default_rng(2)
    x, y = r.random((3, 4)), r.random((2, 4))
    ref = gradproof.oracle(net, x, y, lam=0.5)
    from gradproof import core
    monkeypatch.setattr(core.lib, "gp_netio_load_string", None)
    monkeypatch.setattr(net, "to_json", None)
    again = gradproof.oracle(net, x, y, lam=0.5)
    assert all(np.array_equal(ref[k], again[k]) for k in ref)
    assert gradproof.compare(again, {k: again[k] for k in ("dW1", "db1", "dW2", "db2")}).ok
    net.weights[0] = net.weights[0].T
    with pytest.raises(ValueError, match=r"weights\[0\]: shape \(3, 4\), expected \(4, 3\)"):
        gradproof.oracle(net, x, y)


def test_json_round_trip(tmp_path):
    net = small_net("cross-entropy")
    net.save(tmp_path / "n.json")
    back = gradproof.Network.load(tmp_path / "n.json")
    assert back.sizes == net.sizes and all(np.array_equal(a, b) for a, b in
                                           zip(back.weights, net.weights))
    # a bytes path, as open() takes it (the file was named "b'/tmp/.../b.json'")
    net.save(os.fsencode(tmp_path / "b.json"))
    assert sorted(os.listdir(tmp_path)) == ["b.json", "n.json"]
    # an activation as an object (gradproof/netio.h), as the CLI reads it: it was refused
    d = {"sizes": [2, 2, 2, 1], "weights": [np.eye(2).tolist()] * 2 + [[[1, 1]]],
         "biases": [[[0], [0]]] * 2 + [[[0]]], "cost": "QuadraticCost",
         "activations": [{"name": "leaky-relu", "alpha": 0.25}, "tanh"]}
    assert gradproof.Network.from_json(json.dumps(d)).activations == ["leaky-relu:0.25", "tanh"]


def test_save_is_atomic_with_activations(tmp_path, monkeypatch):
    """The library's atomic write holds "activations": the file is never rewritten."""
    r = np.random.default_rng(3)
    net = gradproof.Network([3, 4, 2], [r.normal(size=(4, 3)), r.normal(size=(2, 4))],
                            [r.normal(size=4), r.normal(size=2)], "quadratic",
                            ["leaky-relu:0.25"])

    def disk_full(*a, **k):
        raise OSError("No space left on device")
    monkeypatch.setattr(gradproof.core.json, "dump", disk_full)
    net.save(tmp_path / "n.json")
    assert gradproof.Network.load(tmp_path / "n.json").activations == ["leaky-relu:0.25"]


def test_compare_finds_one_wrong_entry():
    net, r = small_net(), np.random.default_rng(2)
    ref = gradproof.oracle(net, r.random((3, 4)), r.random((2, 4)))
    cand = {k: v.copy() for k, v in ref.items()}
    assert gradproof.compare(ref, cand).ok
    cand["dW2"][1, 3] += 1e-6
    rep = gradproof.compare(ref, cand)
    assert not rep.ok and rep.n_failed == 1
    assert [t["name"] for t in rep.tensors if t["failed"]] == ["dW2"]
    assert rep.worst[0]["entry"] == "dW2[1][3]"
    assert rep.failed("dW2").sum() == 1 and rep.failed("dW2")[1, 3]
    with pytest.raises(AssertionError, match=r"dW2\[1\]\[3\]"):
        rep.raise_if_failed()


def test_float32_gets_float32_bounds():
    """float32 values get float32 bounds: the oracle rounded to float32 agrees, the
    same rounding judged as float64 disagrees, and a 1e-5 relative error (inside the
    old fixed rule's rtol 1.4e-3) is beyond the certified float32 bound."""
    net, r = small_net(), np.random.default_rng(3)
    ref = gradproof.oracle(net, r.random((3, 4)), r.random((2, 4)))
    c32 = {k: v.astype(np.float32) for k, v in ref.items()}
    assert gradproof.compare(ref, c32).ok
    assert not gradproof.compare(ref, c32, precision="float64").ok
    c32 = {k: (v * (1 + 1e-5)).astype(np.float32) for k, v in ref.items()}
    assert not gradproof.compare(ref, c32).ok
    plain = {k: v for k, v in ref.items()}   # a plain dict: no inputs, the fixed rule
    rep = gradproof.compare(plain, c32)
    assert rep.ok and not rep.certified and "fixed rule" in str(rep)


def test_examples_numpy_and_planted_bugs():
    assert run_example("numpy_check.py").returncode == 0
    p = run_example("numpy_check.py", "--bug", "quadratic-delta")
    assert p.returncode == 1 and "first failing tensor in computation order: delta2" in p.stdout
    p = run_example("numpy_check.py", "--bug", "decay-bias")
    failed = [l.split()[0] for l in p.stdout.splitlines() if l.endswith("<- FAIL")]
    assert p.returncode == 1 and failed == ["db2", "db1"]


def test_example_torch():
    p = run_example("torch_check.py")
    assert p.returncode == 0 and "PASS" in p.stdout, p.stdout + p.stderr


def test_torch_batch_mean_delta_is_caught():
    """The issue's new-user bug: autograd's dC/dz (delta / m) where delta is expected."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Sigmoid(),
                                torch.nn.Linear(4, 3), torch.nn.Sigmoid())
    x, y = torch.rand(6, 5), torch.rand(6, 3)
    ref = gradproof.oracle(gt.from_module(model, "quadratic"), x.double().numpy(),
                           y.double().numpy(), rows=True)
    rep = gt.check(model, x, y, cost="quadratic")
    assert rep.ok, str(rep)
    zL = model[2](model[1](model[0](x))).detach().requires_grad_()
    (0.5 * ((torch.sigmoid(zL) - y) ** 2).sum(1)).mean().backward()
    bad = {k: ref[k].astype(np.float32) for k in ("dW1", "db1", "dW2", "db2")}
    bad["delta2"] = zL.grad.numpy()
    rep = gradproof.compare(ref, bad)
    assert [t["name"] for t in rep.tensors if t["failed"]] == ["delta2"]


def _l1_model(seed, out):
    torch.manual_seed(seed)
    mods = [torch.nn.Linear(5, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 3)]
    return torch.nn.Sequential(*(mods + ([out] if out is not None else [])))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_torch_l1_and_weight_decay(dtype):
    """L1 and L2 together (SPEC [85], [95]) with n != m pass; an L1 term that also
    penalises the biases (a common slip) fails at the db tensors and only there."""
    model = _l1_model(1, torch.nn.Sigmoid()).to(dtype)
    x, y = torch.rand(6, 5, dtype=dtype), torch.rand(6, 3, dtype=dtype)
    rep = gt.check(model, x, y, cost="cross-entropy", weight_decay=2.0, l1=3.0, n=50)
    assert rep.ok, str(rep)
    net = gt.from_module(model, "cross-entropy")
    ref = gradproof.oracle(net, x.double().numpy(), y.double().numpy(), lam=2.0, l1=3.0,
                           n=50, rows=True)
    cand = {k: v.copy() for k, v in ref.items()}
    for l in (1, 2):
        b = [model[0], model[2]][l - 1].bias.detach().double().numpy()
        cand[f"db{l}"] = cand[f"db{l}"] + 3.0 / 50 * np.sign(b)
    rep = gradproof.compare(ref, cand)
    assert sorted(t["name"] for t in rep.tensors if t["failed"]) == ["db1", "db2"], str(rep)


@pytest.mark.parametrize("act", [torch.nn.Tanh(), torch.nn.ReLU(), torch.nn.LeakyReLU(0.3),
                                 torch.nn.Softplus(), torch.nn.Identity(),
                                 torch.nn.ReLU(inplace=True),
                                 torch.nn.LeakyReLU(0.3, inplace=True)])
def test_torch_hidden_activations(act):
    """Every hidden activation passes against the oracle; LeakyReLU's own slope reaches
    it (with the default 0.01 in its place, dW1 and db1 would disagree). An in-place
    activation passes too (it overwrote the kept z1, and z1, delta1 failed)."""
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), act, torch.nn.Linear(4, 3),
                                torch.nn.Sigmoid()).double()
    x, y = torch.randn(6, 5, dtype=torch.float64), torch.rand(6, 3, dtype=torch.float64)
    rep = gt.check(model, x, y, cost="cross-entropy")
    assert rep.ok, str(rep)
    if isinstance(act, torch.nn.LeakyReLU):
        net = gt.from_module(model, "cross-entropy")
        assert net.activations == ["leaky-relu:0.3"]
        net.activations = ["leaky-relu"]
        ref = gradproof.oracle(net, x.numpy(), y.numpy(), rows=True)
        good = gradproof.oracle(gt.from_module(model, "cross-entropy"), x.numpy(), y.numpy(),
                                rows=True)
        rep = gradproof.compare(good, ref)
        assert not rep.ok and "dW1" in [t["name"] for t in rep.tensors if t["failed"]], str(rep)


def test_torch_inputs_requiring_grad():
    """x and y may be tensors of a graph (requires_grad): they are inputs, taken as
    values (they raised torch's "Can't call numpy() on Tensor that requires grad")."""
    model = _l1_model(2, torch.nn.Sigmoid()).double()
    x = torch.rand(4, 5, dtype=torch.float64, requires_grad=True)
    y = torch.rand(4, 3, dtype=torch.float64, requires_grad=True)
    assert gt.check(model, x * 1, y * 1, cost="quadratic").ok


def test_torch_check_under_no_grad():
    """check runs its autograd also where the caller turned gradients off (an
    evaluation loop's torch.no_grad()); it raised "can't retain_grad on Tensor that has
    requires_grad=False"."""
    model = _l1_model(2, torch.nn.Sigmoid()).double()
    x, y = torch.rand(4, 5, dtype=torch.float64), torch.rand(4, 3, dtype=torch.float64)
    with torch.no_grad():
        assert gt.check(model, x, y, cost="quadratic").ok
    assert torch.is_grad_enabled()


def test_torch_check_leaves_the_models_grad():
    """check between a training step's backward() and its optimizer.step() leaves the
    step's gradients in .grad (it zeroed them and left its own there)."""
    model = _l1_model(2, torch.nn.Sigmoid()).double()
    x, y = torch.rand(4, 5, dtype=torch.float64), torch.rand(4, 3, dtype=torch.float64)
    (model(x) ** 2).sum().backward()
    before = [p.grad.clone() for p in model.parameters()]
    assert gt.check(model, x, y, cost="quadratic", weight_decay=1.0).ok
    assert all(torch.equal(p.grad, g) for p, g in zip(model.parameters(), before))
    model.zero_grad(set_to_none=True)
    assert gt.check(model, x, y, cost="quadratic").ok
    assert all(p.grad is None for p in model.parameters())


def test_torch_bfloat16_model(monkeypatch):
    """A bfloat16 model is judged by bfloat16's bounds (it raised torch's "Got
    unsupported ScalarType BFloat16"): it agrees; the same gradients judged as float32
    disagree, and a loss summed instead of averaged (dW m times too large) disagrees."""
    model = _l1_model(2, torch.nn.Sigmoid()).to(torch.bfloat16)
    x, y = torch.rand(6, 5), torch.rand(6, 3)
    rep = gt.check(model, x, y, cost="cross-entropy")
    assert rep.ok and {t["precision"] for t in rep.tensors} == {"bfloat16"}, str(rep)
    assert not gt.check(model, x, y, cost="cross-entropy", precision="float32").ok
    monkeypatch.setattr(gt, "_loss", lambda zL, y, cost: (
        torch.nn.functional.softplus(zL) - y * zL).sum())
    rep = gt.check(model, x, y, cost="cross-entropy")
    assert not rep.ok and "dW1" in [t["name"] for t in rep.tensors if t["failed"]], str(rep)
    with pytest.raises(TypeError, match="x: dtype torch.int64"):
        gt.check(model, torch.ones(6, 5, dtype=torch.int64), y, cost="cross-entropy")


def test_float16_candidate_inferred():
    """float16 arrays get float16's bounds (they were refused): the oracle's values
    rounded to float16 agree as float16 and disagree as float32."""
    net = gt.from_module(_l1_model(2, torch.nn.Sigmoid()).double(), "quadratic")
    rng = np.random.default_rng(4)
    ref = gradproof.oracle(net, rng.random((5, 6)), rng.random((3, 6)))
    cand = {k: v.astype(np.float16) for k, v in ref.items() if k[:2] in ("dW", "db")}
    rep = gradproof.compare(ref, cand)
    assert rep.ok and {t["precision"] for t in rep.tensors} == {"float16"}, str(rep)
    assert not gradproof.compare(ref, cand, precision="float32").ok
    with pytest.raises(ValueError, match="precision: 'half', expected one of float64"):
        gradproof.compare(ref, cand, precision="half")


def test_torch_shared_activation_module():
    """One Sigmoid module used after both layers: a1 is layer 1's output (its hook once
    kept layer 2's, and a correct model failed, diagnosed as layers swapped)."""
    torch.manual_seed(0)
    s = torch.nn.Sigmoid()
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), s, torch.nn.Linear(2, 2), s).double()
    x, y = torch.rand(4, 2, dtype=torch.float64), torch.rand(4, 2, dtype=torch.float64)
    rep = gt.check(model, x, y, cost="quadratic")
    assert rep.ok and rep.n_failed == 0, str(rep)
    # one Linear twice (tied weights) is refused: its gradient is both layers' sum, and
    # a correct model failed at dW and db of both layers
    lin = torch.nn.Linear(2, 2).double()
    with pytest.raises(ValueError, match=r"model\[2\]: the same nn.Linear as model\[0\]"):
        gt.check(torch.nn.Sequential(lin, s, lin, s), x, y, cost="quadratic")


@pytest.mark.parametrize("out", [None, torch.nn.Identity()])
def test_torch_quadratic_linear(out):
    """A linear output layer (the model ends with Linear, or Linear + Identity) with the
    quadratic cost: passes; a planted sigmoid' in delta^L is named at delta2."""
    model = _l1_model(2, out).double()
    x, y = torch.rand(4, 5, dtype=torch.float64), torch.rand(4, 3, dtype=torch.float64)
    rep = gt.check(model, x, y, cost="quadratic-linear")
    assert rep.ok, str(rep)
    net = gt.from_module(model, "quadratic-linear")
    ref = gradproof.oracle(net, x.numpy(), y.numpy(), rows=True)
    cand = {k: v.copy() for k, v in ref.items()}
    z = ref["z2"]
    s = 1 / (1 + np.exp(-z))
    cand["delta2"] = cand["delta2"] * s * (1 - s)
    rep = gradproof.compare(ref, cand)
    assert [t["name"] for t in rep.tensors if t["failed"]][0] == "delta2", str(rep)


def test_torch_rejects_wrong_output_for_cost():
    model = _l1_model(3, None)
    with pytest.raises(ValueError, match="Linear, Sigmoid"):
        gt.check(model, torch.rand(2, 5), torch.rand(2, 3), cost="cross-entropy")


def test_torch_softplus_cutoff_is_refused_in_float64_not_failed():
    # nn.Softplus() returns z itself for z > threshold (20): a correct float64 model
    # whose batch took a unit there failed at a1, z2, ..., db1 (log(1 + e^z) - z is
    # 1e-11 at z = 25, beyond float64's bounds): a false failure. It is refused, naming
    # the entry and what to do; float32 does not see the difference.
    import gradproof.torch as gt
    from torch import nn
    torch.manual_seed(0)
    lin1, lin2 = nn.Linear(3, 4).double(), nn.Linear(4, 2).double()
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.rand(5, 2, dtype=torch.float64)
    model = nn.Sequential(lin1, nn.Softplus(), lin2, nn.Sigmoid())
    assert gt.check(model, x, y, cost="quadratic").ok  # z below 20: as before
    with torch.no_grad():
        lin1.bias[1] = 25.0
    with pytest.raises(ValueError, match=r"^model\[1\]: Softplus\(beta=1, threshold=20\) "
                       r"returns z itself for z > 20, .* z1\[1\]\[\d\] = 2[4-6]\.\d+ "
                       r"\(unit 1, sample \d\) is above it.*threshold=float\('inf'\)"):
        gt.check(model, x, y, cost="quadratic")
    assert gt.check(model, x, y, cost="quadratic", precision="float32").ok
    assert gt.check(nn.Sequential(lin1, nn.Softplus(threshold=float("inf")), lin2,
                                  nn.Sigmoid()), x, y, cost="quadratic").ok
    m32 = nn.Sequential(lin1, nn.Softplus(), lin2, nn.Sigmoid()).float()
    assert gt.check(m32, x.float(), y.float(), cost="quadratic").ok


def test_torch_activation_parameters_out_of_range_are_refused():
    """Softplus(beta=2) is log(1 + e^(2z))/2, not the oracle's softplus: refused by
    name (a correct model failed at a1, taken as beta=1)."""
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Softplus(beta=2),
                                torch.nn.Linear(4, 3), torch.nn.Sigmoid())
    with pytest.raises(ValueError, match=r"model\[1\]: Softplus\(beta=2.*beta=1 only"):
        gt.check(model, torch.rand(2, 5), torch.rand(2, 3), cost="quadratic")
    # a slope out of [0, 1) is named by module (it was "activations[0]: 'leaky-relu:1.5'")
    model[1] = torch.nn.LeakyReLU(1.5)
    with pytest.raises(ValueError, match=r"model\[1\]: LeakyReLU\(negative_slope=1.5\); "):
        gt.check(model, torch.rand(2, 5), torch.rand(2, 3), cost="quadratic")


def test_torch_frozen_parameter_is_named():
    """A frozen parameter (requires_grad False) is named (it was an AttributeError on
    its .grad, None, and then torch's "One of the differentiated Tensors does not
    require grad")."""
    model = _l1_model(3, torch.nn.Sigmoid()).double()
    model[2].bias.requires_grad_(False)
    with pytest.raises(ValueError, match=r"model\[2\]\.bias: requires_grad is False"):
        gt.check(model, torch.rand(2, 5), torch.rand(2, 3), cost="quadratic")


def _mnist(n):
    d = os.environ.get("GP_MNIST_DIR")
    if not d:
        return None
    for name in ("t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            raw = (gzip.open if p.endswith(".gz") else open)(p, "rb").read()
            img = np.frombuffer(raw[16:16 + 784 * n], dtype=np.uint8)
            lp = p.replace("images-idx3", "labels-idx1")
            lab = np.frombuffer((gzip.open if p.endswith(".gz") else open)(lp, "rb").read()[8:8 + n], np.uint8)
            return img.reshape(n, 784) / 255.0, lab
    pytest.fail(f"GP_MNIST_DIR={d} has no t10k-images-idx3-ubyte[.gz]")


def test_torch_float32_mnist():
    data = _mnist(10)
    if data is None:
        pytest.skip("GP_MNIST_DIR not set: the real-MNIST float32 check did not run")
    img, lab = data
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(784, 30), torch.nn.Sigmoid(),
                                torch.nn.Linear(30, 10), torch.nn.Sigmoid())
    x = torch.tensor(img, dtype=torch.float32)
    y = torch.nn.functional.one_hot(torch.tensor(lab, dtype=torch.long), 10).float()
    rep = gt.check(model, x, y, cost="cross-entropy", weight_decay=5.0, n=60000)
    assert rep.ok and rep.tensors[0]["precision"] == "float32", str(rep)
    ref = gradproof.oracle(gt.from_module(model, "cross-entropy"), img, y.numpy(),
                           lam=5.0, n=60000, rows=True)
    cand = {k: ref[k].astype(np.float32) for k in ("dW1", "db1", "dW2", "db2")}
    cand["dW1"][5, 300] += 1e-4    # one wrong weight gradient on real data is caught
    assert gradproof.compare(ref, cand).worst[0]["entry"] == "dW1[5][300]"


def test_empty_batch_and_flat_matrix_named():
    """An empty batch and a flattened dW are named (they gave 'GSL status 19')."""
    net, r = small_net(), np.random.default_rng(4)
    x, y = r.random((3, 4)), r.random((2, 4))
    with pytest.raises(ValueError, match=r"x: empty array \(shape \(3, 0\)\)"):
        gradproof.oracle(net, np.zeros((3, 0)), np.zeros((2, 0)))
    ref = gradproof.oracle(net, x, y)
    cand = {k: ref[k] for k in ("dW1", "db1", "dW2", "db2")}
    cand["dW1"] = cand["dW1"].ravel()
    with pytest.raises(ValueError, match=r"candidate\['dW1'\]: shape \(12,\), expected \(4, 3\)"):
        gradproof.compare(ref, cand)
    cand["dW1"], cand["cost"] = ref["dW1"], ref["cost"].reshape(1)   # db, cost: flat
    assert gradproof.compare(ref, cand).ok


def test_integers_out_of_range_are_refused():
    """Integers that do not fit the C field, or are not integers, raise ValueError; they
    were cut: n=2**64 became 0 (n = m: another cost), hunt's sizes [2**64 + 2, 10]
    became [2, 10] and 3.5 became 3."""
    net, r = small_net(), np.random.default_rng(4)
    x, y = r.random((3, 4)), r.random((2, 4))
    for n in (2 ** 64, 2 ** 70, 2.5, "5"):
        with pytest.raises(ValueError, match="n: "):
            gradproof.oracle(net, x, y, lam=1.0, n=n)
    assert gradproof.oracle(net, x, y, lam=1.0, n=10 ** 12)["cost"] < \
        gradproof.oracle(net, x, y, lam=1.0)["cost"]
    with pytest.raises(ValueError, match=r"sizes\[1\]: 3.7"):
        gradproof.Network([3, 3.7, 2], net.weights, net.biases, net.cost)
    # more than GP_MAX_LAYERS sizes: refused when built, not at the first oracle
    with pytest.raises(ValueError, match=r"sizes: 65 layers, expected 2..64"):
        gradproof.Network([1] * 65, [np.ones((1, 1))] * 64, [np.ones(1)] * 64, net.cost)
    with pytest.raises(ValueError, match=r"sizes: 1 layers, expected 2..64"):
        gradproof.Network([3], [], [], net.cost)
    fn = lambda *a, **k: {}  # noqa: E731 (never called)
    for kw in ({"sizes": [2 ** 64 + 2, 10]}, {"sizes": [3.5, 2]}, {"batch": 10 ** 12},
               {"seed": -1}, {"cases": 2 ** 64 + 1}):
        with pytest.raises(ValueError, match=next(iter(kw))):
            gradproof.hunt(fn, **kw)


def test_overflow_and_non_numbers_refused():
    """A network whose values overflow float64 on the samples: ValueError naming the
    entry, as the CLI's oracle refuses it (the dump held inf silently); lam or l1 that
    is not a number: TypeError naming it (numpy's own error did not)."""
    net, r = small_net(), np.random.default_rng(4)
    x, y = r.random((3, 4)) + 1, r.random((2, 4))
    big = gradproof.Network(net.sizes, [np.full((4, 3), 1.5e308), net.weights[1]],
                            net.biases, net.cost)
    for rows in (False, True):
        xs, ys = (x.T, y.T) if rows else (x, y)
        with pytest.raises(ValueError, match=r"z1\[\d\]\[\d\] is -?inf on these samples"):
            gradproof.oracle(big, xs, ys, rows=rows)
    assert np.isfinite(gradproof.oracle(net, x, y)["dW1"]).all()
    for bad in ("x", None, [1.0], True, 1j):
        with pytest.raises(TypeError, match="lam: a number expected"):
            gradproof.oracle(net, x, y, lam=bad)
        with pytest.raises(TypeError, match="l1: a number expected"):
            gradproof.oracle(net, x, y, l1=bad)
    assert gradproof.oracle(net, x, y, lam=np.float32(0.5))["cost"] > \
        gradproof.oracle(net, x, y)["cost"]


def test_one_sample_as_a_vector():
    """A 1-D x and y are one sample in either orientation: with rows=True they were taken
    as columns and then transposed ('x: 1 inputs per sample')."""
    net, r = small_net(), np.random.default_rng(5)
    x, y = r.random(3), r.random(2)
    col = gradproof.oracle(net, x, y)
    row = gradproof.oracle(net, x, y, rows=True)
    ref = gradproof.oracle(net, x.reshape(3, 1), y.reshape(2, 1))
    for k in ("cost", "dW1", "db2"):
        assert np.array_equal(col[k], ref[k]) and np.array_equal(row[k], ref[k])
    assert row["z1"].shape == (1, 4) and col["z1"].shape == (4, 1)


def test_errors_name_argument_and_problem():
    net, r = small_net(), np.random.default_rng(4)
    x, y = r.random((3, 4)), r.random((2, 4))
    with pytest.raises(ValueError, match="x: 2 inputs"):
        gradproof.oracle(net, x[:2], y)
    with pytest.raises(ValueError, match="x: contains NaN"):
        gradproof.oracle(net, np.full((3, 4), np.nan), y)
    with pytest.raises(TypeError, match="x: dtype <U1"):
        gradproof.oracle(net, np.array([["a"] * 4] * 3), y)
    with pytest.raises(ValueError, match="x: rows of different lengths"):
        gradproof.oracle(net, [[0.1, 0.2], [0.3]], y)
    with pytest.raises(TypeError, match="weights/biases: lists of arrays expected"):
        gradproof.Network([3, 4, 2], None, None, "quadratic")
    with pytest.raises(ValueError, match="cost: unknown cost 'hinge'"):
        small_net("hinge")
    with pytest.raises(ValueError, match=r"weights\[1\]: shape"):
        gradproof.Network([3, 4, 2], [np.zeros((4, 3)), np.zeros((3, 4))],
                          [np.zeros(4), np.zeros(2)], "quadratic")
    ref = gradproof.oracle(net, x, y)
    with pytest.raises(ValueError, match=r"candidate\['dW1'\]: shape"):
        gradproof.compare(ref, {"dW1": np.zeros((3, 4)), "db1": ref["db1"],
                                "dW2": ref["dW2"], "db2": ref["db2"]})
    with pytest.raises(TypeError, match=r"candidate\['dW1'\]: dtype int64"):
        gradproof.compare(ref, {**{k: ref[k] for k in ("db1", "dW2", "db2")},
                                "dW1": np.zeros((4, 3), dtype=np.int64)})
    with pytest.raises(KeyError, match="missing 'db1'"):
        gradproof.compare(ref, {"dW1": ref["dW1"], "dW2": ref["dW2"], "db2": ref["db2"]})
    with pytest.raises(ValueError, match=r"reference\['dW1'\]: 3-D array, expected 2-D"):
        gradproof.compare({**ref, "dW1": np.zeros((4, 3, 2))}, ref)
    nan = {k: ref[k] for k in ("dW1", "db1", "dW2", "db2")}
    nan["dW1"] = nan["dW1"].copy(); nan["dW1"][0, 0] = np.nan
    assert not gradproof.compare(ref, nan).ok
    with pytest.raises(TypeError, match=r"model\[1\]: Dropout"):
        gt.from_module(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(),
                                           torch.nn.Linear(4, 2), torch.nn.Sigmoid()),
                       "quadratic")
    with pytest.raises(TypeError, match="model: Linear is not an nn.Sequential"):
        gt.from_module(torch.nn.Linear(3, 4), "quadratic")
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())
    with pytest.raises(ValueError, match=r"y: shape \(4, 3\)"):
        gt.check(model, torch.rand(4, 3), torch.rand(4, 3), cost="quadratic")
    # torch's own words named neither ("Could not infer dtype of NoneType")
    with pytest.raises(ValueError, match=r"cost: \['quadratic'\] is not one of quadratic"):
        gt.check(model, torch.rand(2, 3), torch.rand(2, 2), cost=["quadratic"])
    with pytest.raises(TypeError, match=r"model: parameters of mixed dtypes \(torch.float32, "
                       r"torch.float64\)"):  # torch: "mat1 and mat2 must have the same dtype"
        gt.check(torch.nn.Sequential(torch.nn.Linear(3, 4).double(), torch.nn.Sigmoid(),
                                     torch.nn.Linear(4, 2), torch.nn.Sigmoid()),
                 torch.rand(2, 3), torch.rand(2, 2), cost="quadratic")
    with pytest.raises(TypeError, match="x: NoneType is not a tensor or array"):
        gt.check(model, None, torch.rand(4, 2), cost="quadratic")
    with pytest.raises(TypeError, match="y: list is not a tensor or array"):
        gt.check(model, torch.rand(2, 3), [[0.1, 0.2], [0.3]], cost="quadratic")


def test_db_as_column_or_row_as_the_cli_takes_it():
    net, r = small_net(), np.random.default_rng(5)
    ref = gradproof.oracle(net, r.random((3, 4)), r.random((2, 4)))
    cand = {k: ref[k] for k in ("dW1", "dW2")}
    cand.update(db1=ref["db1"].reshape(-1, 1), db2=ref["db2"].reshape(1, -1),
                cost=ref["cost"].reshape(1, 1))
    assert gradproof.compare(ref, cand).ok
    cand["db1"] = cand["db1"] + 1
    assert gradproof.compare(ref, cand).failed("db1").all()
    with pytest.raises(ValueError, match=r"candidate\['db1'\]: shape \(2, 2\)"):
        gradproof.compare(ref, {**cand, "db1": np.zeros((2, 2))})


def test_candidate_orientation_apart_from_the_reference_and_shapes_as_given():
    net, r = small_net(), np.random.default_rng(6)
    x, y = r.random((3, 5)), r.random((2, 5))
    cols, rows = gradproof.oracle(net, x, y), gradproof.oracle(net, x.T, y.T, rows=True)
    assert gradproof.compare(rows, dict(cols), rows=False).ok
    assert gradproof.compare(cols, dict(rows), rows=True).ok
    with pytest.raises(ValueError, match=r"candidate\['dW1'\]: shape \(3, 4\), expected \(4, 3\)"):
        gradproof.compare(rows, {**rows, "dW1": np.zeros((3, 4))})
    with pytest.raises(ValueError, match=r"candidate\['z1'\]: shape \(5, 3\), expected \(5, 4\)"):
        gradproof.compare(cols, {**rows, "z1": np.zeros((5, 3))}, rows=True)


# ---- the certified rule (issue 12 section 1-2 through the package) ----

def test_oracle_bounds_contain_a_float32_implementation():
    """oracle(bounds="float32"): per-entry worst-case and probabilistic bounds; a float32
    evaluation of the same formulas lands inside the worst-case bound on every entry,
    and a float32 rounding of the oracle's own values does too, while an error of
    twice the bound is outside it (the bound is not vacuous)."""
    net, r = small_net("cross-entropy"), np.random.default_rng(5)
    x, y = r.random((3, 6)), r.random((2, 6))
    ref = gradproof.oracle(net, x, y, lam=0.5, bounds="float32")
    b = ref["bounds"]
    assert 0 < b["prob_fail"] <= 1
    r64 = gradproof.oracle(net, x, y, lam=0.5, bounds="float64")["bounds"]
    for k in ("z1", "a2", "delta1", "dW1", "db2", "cost"):
        assert b[k].worst.shape == np.shape(ref[k]) and np.all(b[k].prob <= b[k].worst)
        assert np.all(b[k].worst > 0) and np.all(r64[k].worst < b[k].worst), k
    # a float32 implementation of the forward pass
    a, W, bb = x.astype(np.float32), [w.astype(np.float32) for w in net.weights], \
        [v.astype(np.float32) for v in net.biases]
    for l in range(2):
        z = W[l] @ a + bb[l][:, None]
        a = (1 / (1 + np.exp(-z))).astype(np.float32)
        err = np.abs(z.astype(np.float64) - ref[f"z{l + 1}"])
        assert np.all(err <= b[f"z{l + 1}"].worst + r64[f"z{l + 1}"].worst), l
    cand = {k: ref[k].astype(np.float32) for k in ("dW1", "db1", "dW2", "db2")}
    assert gradproof.compare(ref, cand).ok
    cand["dW1"] = (ref["dW1"] + 2 * b["dW1"].worst).astype(np.float32)
    rep = gradproof.compare(ref, cand)
    assert not rep.ok and rep.tensors[-2]["name"] == "dW1" and rep.tensors[-2]["verdict"] == "disagree"
    with pytest.raises(ValueError, match="bounds: 'float8'"):
        gradproof.oracle(net, x, y, bounds="float8")


def test_compare_after_the_network_changed_in_place():
    """The oracle's dict keeps its own copy of the network: a training step on the
    network's arrays afterwards (W -= eta dW, here W *= 1000) leaves the verdict alone
    (the bounds were computed for the new weights, and a wrong dW1 agreed)."""
    r = np.random.default_rng(0)
    net = gradproof.Network([3, 4, 2], [r.normal(size=(4, 3)), r.normal(size=(2, 4))],
                            [r.normal(size=4), r.normal(size=2)], "quadratic-linear",
                            ["identity"])
    ref = gradproof.oracle(net, r.random((3, 5)), r.random((2, 5)))
    cand = {k: ref[k] for k in ("dW1", "db1", "dW2", "db2")}
    cand["dW1"] = cand["dW1"] * (1 + 1e-6)
    assert gradproof.compare(ref, cand).verdict == "disagree"
    for w in net.weights:
        w *= 1000
    assert gradproof.compare(ref, cand).verdict == "disagree"


def test_certified_verdicts_per_entry_three_ways():
    """An entry moved past the worst-case bound disagrees, one moved between the
    probabilistic and the worst-case bound is inconclusive (the report says so and
    is ok), the rest agree; verdicts(name) names each entry."""
    r = np.random.default_rng(6)
    net = gradproof.Network([40, 6, 2], [r.normal(size=(6, 40)), r.normal(size=(2, 6))],
                            [r.normal(size=6), r.normal(size=2)], "quadratic")
    x, y = r.random((40, 300)), r.random((2, 300))
    ref = gradproof.oracle(net, x, y, bounds="float32")
    b, o = ref["bounds"]["dW1"], gradproof.oracle(net, x, y, bounds="float64")["bounds"]["dW1"]
    assert np.all(b.prob < 0.95 * b.worst)   # long inner products: sqrt(n) u < n u
    cand = {k: ref[k].copy() for k in ("dW1", "db1", "dW2", "db2")}
    cand["dW1"][0, 1] += 0.5 * (b.prob + b.worst)[0, 1] + o.worst[0, 1]
    rep = gradproof.compare(ref, cand, precision="float32")
    assert rep.certified and rep.ok and rep.inconclusive == ["dW1"] and rep.n_inconclusive == 1
    assert "INCONCLUSIVE" in str(rep)
    v = rep.verdicts("dW1")
    assert v[0, 1] == "inconclusive" and (v == "agree").sum() == v.size - 1
    cand["dW1"][3, 2] += 1.1 * (b.worst + o.worst)[3, 2]
    rep = gradproof.compare(ref, cand, precision="float32")
    assert not rep.ok and rep.verdict == "disagree"
    v = rep.verdicts("dW1")
    assert v[3, 2] == "disagree" and v[0, 1] == "inconclusive"
    assert rep.failed("dW1").sum() == 1
    assert [t["verdict"] for t in rep.tensors] == ["agree", "agree", "disagree", "agree"]


def test_planted_bugs_named_with_diagnosis():
    """The issue's two planted bugs: the quadratic delta without sigma' is named at
    delta2 as fprime-missing; weight decay on the biases at db2 as reg-on-biases; the
    correct NumPy candidate gets no diagnosis."""
    p = run_example("numpy_check.py")
    assert p.returncode == 0 and "diagnosis" not in p.stdout, p.stdout + p.stderr
    p = run_example("numpy_check.py", "--bug", "quadratic-delta")
    assert p.returncode == 1 and "first failing tensor in computation order: delta2" in p.stdout
    assert "diagnosis: fprime-missing" in p.stdout, p.stdout
    p = run_example("numpy_check.py", "--bug", "decay-bias")
    assert p.returncode == 1 and "first failing tensor in computation order: db2" in p.stdout
    assert "diagnosis: reg-on-biases" in p.stdout, p.stdout


def test_planted_bugs_report_diagnosis_object():
    net, r = small_net(), np.random.default_rng(7)
    x, y = r.random((3, 7)), r.random((2, 7))
    ref = gradproof.oracle(net, x, y)
    cand = {k: ref[k].copy() for k in ("dW1", "db1", "dW2", "db2")}
    cand["dW2"] = cand["dW2"] * 7   # summed instead of averaged over the batch of 7
    rep = gradproof.compare(ref, cand)
    d = rep.diagnosis
    assert not rep.ok and d.tensor == "dW2" and d.kind == "scale" and d.param == 7
    assert d.residual < 1e-10 and "diagnosis: scale" in str(rep)


def test_torch_float32_certified_no_diagnosis():
    """A correct float32 PyTorch model: certified, nothing disagrees, no diagnosis."""
    torch.manual_seed(4)
    model = torch.nn.Sequential(torch.nn.Linear(20, 8), torch.nn.Sigmoid(),
                                torch.nn.Linear(8, 4), torch.nn.Sigmoid())
    x, y = torch.randn(9, 20) * 3, torch.rand(9, 4)
    for cost in ("quadratic", "cross-entropy"):
        rep = gt.check(model, x, y, cost=cost, weight_decay=0.7, n=40)
        assert rep.certified and rep.ok and rep.diagnosis is None, str(rep)
        assert all(t["precision"] == "float32" and t["disagree"] == 0 for t in rep.tensors)


# ---- gradproof.hunt: the property test in-process ----

def peer(bug=None, dtype=np.float64, relu=False):
    """A NumPy backprop for hunt's cases (sigmoid hidden layers, or relu with
    relu'(0) = 0; every cost), samples as columns, with one planted bug:
    "quadratic-delta" (sigma'(z^L) left out of the quadratic cost's delta^L),
    "decay-bias" (weight decay on the biases too), "sigmoid-clamp" or
    "relu-prime-sign" (relu'(z) computed as sign(z), -1 below the kink)."""
    def fn(net, x, y, lam=0.0, l1=0.0, n=None):
        if bug == "sigmoid-clamp":   # 1/(1+exp(-z)) with z clamped to [-20, 20]
            sig = lambda z: 1 / (1 + np.exp(-np.clip(z, -20, 20)))
        else:
            sig = lambda z: 1 / (1 + np.exp(-z))
        W = [w.astype(dtype) for w in net.weights]
        b = [v.astype(dtype)[:, None] for v in net.biases]
        x, y, m, L = x.astype(dtype), y.astype(dtype), x.shape[1], len(W)
        zs, acts = [], [x]
        for l in range(L):
            zs.append(W[l] @ acts[-1] + b[l])
            z = zs[-1]
            if l < L - 1 and relu:
                acts.append(np.maximum(z, 0))
            elif l < L - 1 or net.cost in ("quadratic", "cross-entropy"):
                acts.append(sig(z))
            elif net.cost == "log-likelihood":
                e = np.exp(z - z.max(0))
                acts.append(e / e.sum(0))
            else:
                acts.append(z)
        a = acts[-1]
        delta = a - y
        if net.cost == "quadratic" and bug != "quadratic-delta":
            delta = delta * a * (1 - a)
        out = {}
        for l in range(L, 0, -1):
            out[f"delta{l}"] = delta
            out[f"dW{l}"] = delta @ acts[l - 1].T / m + lam / n * W[l - 1] \
                + l1 / n * np.sign(W[l - 1])
            out[f"db{l}"] = delta.sum(1) / m
            if bug == "decay-bias":
                out[f"db{l}"] = out[f"db{l}"] + lam / n * b[l - 1][:, 0]
            if l > 1:
                s, z = acts[l - 1], zs[l - 2]
                fp = (np.sign(z) if bug == "relu-prime-sign" else z > 0) if relu \
                    else s * (1 - s)
                delta = (W[l - 1].T @ delta) * fp
        return out
    return fn


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hunt_correct_peer_no_false_alarm(dtype):
    """A correct NumPy peer, float64 and float32, over 150 random cases of every cost
    (half regularised): no failure."""
    res = gradproof.hunt(peer(dtype=dtype), cases=150, seed=3)
    assert res.ok and res.n_cases == 150 and res.kind == "agree", str(res)


@pytest.mark.parametrize("bug,tensor,kind", [("quadratic-delta", "delta", "fprime-missing"),
                                             ("decay-bias", "db", "reg-on-biases")])
def test_hunt_planted_bug_found_shrunk_diagnosed(bug, tensor, kind, tmp_path):
    """Each planted bug: found, shrunk to a tiny case (at most 3 layers of width <= 2,
    at most 2 samples), named by the diagnosis at the right tensor; the minimal case
    comes back with its report, and the record is written."""
    res = gradproof.hunt(peer(bug), cases=200, seed=3, record=os.fsencode(tmp_path / "rec"))
    assert res.kind == "disagree", str(res)
    assert res.tensor.startswith(tensor) and res.diagnosis.kind == kind, str(res)
    assert res.shrink_steps > 0 and max(res.net.sizes) <= 2 and len(res.net.sizes) <= 3
    assert res.x.shape[1] <= 2, str(res)
    assert not res.report.ok and res.report.diagnosis.kind == kind, str(res.report)
    assert os.path.exists(os.path.join(res.record, "hunt.json"))
    assert res.record.startswith(str(tmp_path / "rec"))   # a bytes record= is a path
    assert "diagnosis: " + kind in str(res)


def test_hunt_python_exception_is_a_crash():
    """An exception inside fn is the candidate crashing, named, with the case; a
    wrong return value is garbage; the interpreter survives both."""
    def boom(net, x, y, **reg):
        if x.shape[1] > 1:
            raise ZeroDivisionError("planted")
        return peer()(net, x, y, **reg)
    res = gradproof.hunt(boom, cases=20, seed=1, regularise=False)
    assert res.kind == "crash" and "ZeroDivisionError: planted" in res.detail, str(res)
    assert res.x.shape[1] == 2 and res.report is None   # shrunk to the smallest crash
    res = gradproof.hunt(lambda net, x, y, **r: [1, 2], cases=3)
    assert res.kind == "garbage" and "expected a dict" in res.detail
    res = gradproof.hunt(lambda net, x, y, **r: {"dW1": np.zeros((1, 1))}, cases=3)
    assert res.kind in ("garbage", "disagree"), str(res)
    with pytest.raises(ValueError, match="cost: unknown cost 'hinge'"):
        gradproof.hunt(peer(), cost="hinge")
    with pytest.raises(ValueError, match="cases: 0"):
        gradproof.hunt(peer(), cases=0)


def test_hunt_result_holds_the_case_as_drawn():
    """A candidate that writes to its inputs (x *= 0, the network's weights) leaves the
    result's case as drawn: the same as a candidate with the same bug that does not
    (they were the candidate's scribbles, and the report was computed on them)."""
    def scribbling(net, x, y, **reg):
        out = peer("decay-bias")(net, x, y, **reg)
        x *= 0
        net.weights[0][:] = 7
        return out
    got = gradproof.hunt(scribbling, cases=20, seed=2)
    want = gradproof.hunt(peer("decay-bias"), cases=20, seed=2)
    assert got.kind == want.kind == "disagree", str(got)
    assert np.array_equal(got.x, want.x) and np.array_equal(got.net.weights[0],
                                                            want.net.weights[0])
    assert str(got.report) == str(want.report)


def test_hunt_ctrl_c_interrupts_it():
    """Ctrl-C in fn (KeyboardInterrupt) stops the hunt and reaches the caller; it was
    reported as the candidate crashing ("candidate crashed: KeyboardInterrupt")."""
    calls = []

    def interrupted(net, x, y, **reg):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return peer()(net, x, y, **reg)
    with pytest.raises(KeyboardInterrupt):
        gradproof.hunt(interrupted, cases=20, seed=1)
    assert len(calls) == 3


def test_hunt_activation_relu_finds_relu_prime_bug():
    """activation="relu" reaches the candidate: relu' computed as sign(z) is found in
    relu cases and shrunk to a network that still has relu hidden layers; the correct
    ReLU peer agrees on 40 relu cases (kinks included); an unknown name is refused."""
    with np.errstate(over="ignore"):
        bad = gradproof.hunt(peer("relu-prime-sign", relu=True), cases=12, seed=3,
                             activation="relu")
        ok = gradproof.hunt(peer(relu=True), cases=40, seed=3, activation="relu")
    assert bad.kind == "disagree" and bad.net.activations[0] == "relu", str(bad)
    assert ok.ok and ok.n_cases == 40, str(ok)
    with pytest.raises(ValueError, match="activation: 'swish'"):
        gradproof.hunt(peer(relu=True), activation="swish")


def test_hunt_target_finds_saturation_bug_random_misses():
    """A float32 sigmoid computed as 1/(1+exp(-z)) with z clamped to [-20, 20] is wrong
    only where |z| > 20: random cases miss it in 40 cases; targeted mode (scaling up
    the case with the largest error-to-bound ratio) finds it within the same 40 and
    shrinks it. The correct float32 peer still passes 150 targeted cases (saturated
    cases raise no false alarm)."""
    bug = peer("sigmoid-clamp", np.float32)
    with np.errstate(over="ignore"):
        rnd = gradproof.hunt(bug, cases=40, seed=1)
        tgt = gradproof.hunt(bug, cases=40, seed=1, target=True)
        ok = gradproof.hunt(peer(dtype=np.float32), cases=150, seed=1, target=True)
    assert rnd.ok and rnd.n_cases == 40, str(rnd)
    assert tgt.kind == "disagree" and tgt.n_cases < 40, str(tgt)
    assert sum(tgt.net.sizes) <= 5 and tgt.x.shape[1] == 1, str(tgt)
    assert ok.ok and ok.n_cases == 150, str(ok)


def test_a_library_that_does_not_load_is_named():
    # GRADPROOF_LIB naming no library raised ctypes' bare OSError, which did not say
    # which setting pointed there.
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(gradproof.__file__)))
    env = dict(os.environ, PYTHONPATH=pkg, GRADPROOF_LIB="/nonexistent/libgradproof.so")
    r = subprocess.run([sys.executable, "-c", "import gradproof"], capture_output=True,
                       text=True, env=env)
    assert r.returncode != 0
    assert ("ImportError: gradproof: cannot load libgradproof from $GRADPROOF_LIB "
            "(/nonexistent/libgradproof.so)") in r.stderr


def test_a_library_not_beside_the_package_says_how_to_name_it(tmp_path):
    # An out-of-tree build keeps the library in BUILD/src/.libs, not next to the
    # package's source (SRC/src/.libs): PYTHONPATH=python alone failed with a message
    # that did not say what to set. The package copied away from any build stands for
    # that case.
    shutil.copytree(os.path.dirname(os.path.abspath(gradproof.__file__)),
                    tmp_path / "python" / "gradproof")
    env = {k: v for k, v in os.environ.items() if k != "GRADPROOF_LIB"}
    env["PYTHONPATH"] = str(tmp_path / "python")
    r = subprocess.run([sys.executable, "-c", "import gradproof"], capture_output=True,
                       text=True, env=env)
    if r.returncode == 0:  # a libgradproof installed on the linker's path
        pytest.skip("libgradproof is installed: found without GRADPROOF_LIB")
    assert ("a build made outside the source tree: set "
            "GRADPROOF_LIB=BUILD/src/.libs/libgradproof.so.0") in r.stderr, r.stderr


def test_names_with_a_nul_are_refused():
    # ctypes passes a str with an embedded NUL as the C string before it: cost
    # 'quadratic\0x' was taken as quadratic, activation 'relu\0junk' as relu.
    W, b = [np.zeros((4, 3)), np.zeros((2, 4))], [np.zeros(4), np.zeros(2)]
    with pytest.raises(ValueError, match=r"^cost: 'quadratic\\x00x' contains a NUL"):
        gradproof.Network([3, 4, 2], W, b, "quadratic\0x")
    with pytest.raises(ValueError, match=r"^activations\[0\]: 'relu\\x00junk' contains"):
        gradproof.Network([3, 4, 2], W, b, "quadratic", activations=["relu\0junk"])
    with pytest.raises(ValueError, match=r"^cost: 'quadratic\\x00x' contains a NUL"):
        gradproof.hunt(lambda *a, **k: {}, cases=1, cost="quadratic\0x")
    with pytest.raises(ValueError, match=r"^activation: 'tanh\\x00' contains a NUL"):
        gradproof.hunt(lambda *a, **k: {}, cases=1, activation="tanh\0")


def test_tensors_that_require_grad_are_taken_as_their_values():
    # x, y or candidate tensors with requires_grad=True (a model's outputs, anything
    # computed from its parameters) failed in np.asarray with torch's "Can't call
    # numpy() on Tensor that requires grad", naming no argument. They are detached.
    rng = np.random.default_rng(5)
    net = gradproof.Network([3, 4, 2], [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))],
                            [rng.normal(size=4), rng.normal(size=2)], "quadratic")
    x = torch.tensor(rng.normal(size=(3, 5)), requires_grad=True)
    y = torch.tensor(rng.uniform(size=(2, 5)), requires_grad=True)
    ref = gradproof.oracle(net, x, y)
    assert np.array_equal(ref["dW1"], gradproof.oracle(net, x.detach().numpy(),
                                                       y.detach().numpy())["dW1"])
    cand = {k: torch.tensor(v, requires_grad=True) for k, v in ref.items()
            if k.startswith(("dW", "db"))}
    r = gradproof.compare(ref, cand)
    assert r.ok, str(r)
    assert r.verdicts("dW1").shape == ref["dW1"].shape
    assert not gradproof.compare(ref, dict(cand, dW1=cand["dW1"] * 2)).ok


def test_biases_of_another_shape_are_refused_even_with_n_entries():
    # A (2, 2) bias for 4 units was flattened and taken; (n,), (n, 1) and (1, n) are
    # the shapes a bias vector comes in.
    W = [np.zeros((4, 3)), np.zeros((2, 4))]
    for b in (np.arange(4.0), np.arange(4.0).reshape(4, 1), np.arange(4.0).reshape(1, 4)):
        net = gradproof.Network([3, 4, 2], W, [b, np.zeros(2)], "quadratic")
        assert np.array_equal(net.biases[0], np.arange(4.0))
    for b, said in ((np.zeros((2, 2)), "biases[0]: 2-D array, expected 1-D"),
                    (np.zeros((4, 1, 1)), "biases[0]: 3-D array, expected 1-D")):
        with pytest.raises(ValueError, match=re.escape(said)):
            gradproof.Network([3, 4, 2], W, [b, np.zeros(2)], "quadratic")


def test_an_oracle_dump_with_bounds_compares_as_a_candidate():
    # compare(ref, cand) with cand = oracle(..., bounds=...) raised KeyError "candidate:
    # unknown tensor 'bounds'"; the reference's bounds were already set aside.
    net, r = small_net(), np.random.default_rng(3)
    x, y = r.normal(size=(3, 5)), r.normal(size=(2, 5))
    ref = gradproof.oracle(net, x, y)
    assert gradproof.compare(ref, gradproof.oracle(net, x, y, bounds="float32")).ok
    assert gradproof.compare(gradproof.oracle(net, x, y, bounds="float64"), ref).ok
    with pytest.raises(KeyError, match="unknown tensor 'bounds'"):
        gradproof.compare(ref, {**{k: ref[k] for k in ("dW1", "db1", "dW2", "db2")},
                                "bounds": np.zeros(2)})


def test_a_bad_leaky_relu_slope_is_refused_when_the_network_is_built():
    # Only the name before ':' was checked; 'leaky-relu:abc' failed at the first use.
    W, b = [np.zeros((4, 3)), np.zeros((2, 4))], [np.zeros(4), np.zeros(2)]
    assert gradproof.Network([3, 4, 2], W, b, "quadratic", ["leaky-relu:0.2"])
    for spec in ("leaky-relu:abc", "leaky-relu:1.5", "relu:0.1", "swish"):
        with pytest.raises(ValueError, match=re.escape(f"activations[0]: {spec!r}, expected")):
            gradproof.Network([3, 4, 2], W, b, "quadratic", [spec])


def test_a_nan_entry_shows_as_nan_in_the_table_not_as_0():
    """A NaN candidate entry's error is NaN; a later entry's number used to replace it in
    the tensor's max abs error (the table showed 0 beside err/bound inf)."""
    net, r = small_net(), np.random.default_rng(1)
    ref = gradproof.oracle(net, r.random((3, 5)), r.random((2, 5)))
    cand = {k: ref[k].copy() for k in ("dW1", "db1", "dW2", "db2")}
    cand["dW1"][0, 0] = np.nan
    rep = gradproof.compare(ref, cand)
    t = next(t for t in rep.tensors if t["name"] == "dW1")
    assert not rep.ok and np.isnan(t["max_abs_error"]) and np.isnan(t["max_rel_error"])
    assert re.search(r"^dW1 .* nan +nan +inf .*disagree", str(rep), re.M), str(rep)


def test_a_ragged_candidate_tensor_is_named():
    """A candidate tensor with rows of different lengths: NumPy's own ValueError named
    neither the tensor nor the problem's cause in the caller's words."""
    net, r = small_net(), np.random.default_rng(1)
    ref = gradproof.oracle(net, r.random((3, 5)), r.random((2, 5)))
    cand = {k: ref[k] for k in ("db1", "dW2", "db2")}
    with pytest.raises(ValueError, match=r"^candidate\['dW1'\]: rows of different lengths"):
        gradproof.compare(ref, {**cand, "dW1": [[1.0, 2.0, 3.0], [1.0]]})


def test_log_likelihood_targets_must_sum_to_1():
    """delta^L = a - y is the gradient of -sum_j y_j ln a_j only when sum_j y_j = 1: the
    oracle returned a gradient that was not its own cost's for other targets."""
    r = np.random.default_rng(0)
    net = gradproof.Network([3, 4, 2], [r.normal(size=(4, 3)), r.normal(size=(2, 4))],
                            [r.normal(size=4), r.normal(size=2)], "log-likelihood")
    x = r.random((3, 5))
    with pytest.raises(ValueError, match=r"^y: the targets of sample 0 sum to 2\.0; "
                                         "log-likelihood needs targets summing to 1"):
        gradproof.oracle(net, x, np.ones((2, 5)))
    y = r.random((2, 5))
    gradproof.oracle(net, x, y / y.sum(axis=0))  # a distribution per sample


def test_a_bool_is_not_an_integer():
    """n=True was taken as n = 1 and sizes [3, True, 2] as a hidden layer of 1, where
    lam=True is refused: a flag passed by mistake must not become a count."""
    net, r = small_net(), np.random.default_rng(1)
    x, y = r.random((3, 5)), r.random((2, 5))
    with pytest.raises(ValueError, match=r"^n: True must be an integer"):
        gradproof.oracle(net, x, y, lam=0.5, n=True)
    with pytest.raises(ValueError, match=r"^sizes\[1\]: True must be an integer"):
        gradproof.Network([3, True, 2], [np.zeros((1, 3)), np.zeros((2, 1))],
                          [np.zeros(1), np.zeros(2)], "quadratic")


def test_torch_check_names_weight_decay():
    """A bad weight_decay was reported as 'lam: ...', a name the caller never used."""
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())
    x, y = torch.rand(4, 3), torch.rand(4, 2)
    with pytest.raises(ValueError, match=r"^weight_decay: -1\.0 must be a finite number"):
        gt.check(model, x, y, cost="quadratic", weight_decay=-1.0)
    with pytest.raises(TypeError, match=r"^weight_decay: a number expected"):
        gt.check(model, x, y, cost="quadratic", weight_decay="0.1")


def test_an_infinite_candidate_entry_fails_the_fixed_rule():
    """|inf - o| <= rtol * max(|inf|, |o|) held (inf <= inf): under the fixed rule (a plain
    dict as the reference) an infinite candidate entry passed."""
    net, r = small_net(), np.random.default_rng(1)
    ref = dict(gradproof.oracle(net, r.random((3, 5)), r.random((2, 5))))  # no inputs
    cand = {k: ref[k].copy() for k in ("dW1", "db1", "dW2", "db2", "z1")}
    cand["z1"][0, 0] = np.inf
    rep = gradproof.compare(ref, cand)
    assert not rep.certified and not rep.ok and rep.failed("z1")[0, 0]
    assert next(t for t in rep.tensors if t["name"] == "z1")["failed"] == 1


def test_a_uint8_x_is_pixels_as_in_the_cli(tmp_path):
    """A uint8 x is pixels, x / 255, in Python as in the CLI's `oracle --x` (a .npy of
    uint8): Python took the raw numbers, and the same array gave two costs (0.3456
    against the CLI's 0.3551 in the case that found it). check hands fn the same x."""
    gp = os.environ.get("GP")
    if not gp:
        pytest.skip("GP (the built CLI) not set: run through tests/python.sh")
    net, r = small_net("cross-entropy"), np.random.default_rng(5)
    x = r.integers(0, 256, size=(3, 6), dtype=np.uint8)
    y = r.random((2, 6))
    net.save(tmp_path / "net.json")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    subprocess.run([gp, "oracle", "--net", tmp_path / "net.json", "--x", tmp_path / "x.npy",
                    "--y", tmp_path / "y.npy", "--out-dir", tmp_path / "o"], check=True)
    ref = gradproof.oracle(net, x, y)
    for name, v in ref.items():
        cli = np.load(tmp_path / "o" / f"{name}.npy")
        assert np.array_equal(v, cli.reshape(v.shape)), (name, v, cli)
    assert np.array_equal(ref.inputs[1], x / 255.0)
    seen = []
    gradproof.check(lambda n_, x_, y_: seen.append(x_) or dict(ref), net, x, y)
    assert seen[0].dtype == np.float64 and np.array_equal(seen[0], x / 255.0)
