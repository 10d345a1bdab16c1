"""Agreement with AHPy and pyDecision on published examples (skipped where they are absent)."""

from __future__ import annotations

import numpy as np
import pytest

import taskonomy_ahp as ahp

# Published matrices by their upper triangles: Saaty's car-purchase criteria (Wikipedia's AHP car
# example) and the leader example's criteria, as AHPy's documentation uses them.
MORE = {"car criteria": [3, 7, 3, 9, 1, 1 / 7], "leader criteria": [4, 3, 7, 1 / 3, 3, 5]}
EXAMPLES = ["drinks", "philadelphia", "wealth", *MORE]


@pytest.fixture
def example_matrix(request, textbook, from_upper):
    name = request.param
    return from_upper(MORE[name]) if name in MORE else np.array(textbook[name][1], dtype=float)


def ahpy_compare(matrix: np.ndarray, random_index: str):
    ahpy = pytest.importorskip("ahpy")
    n = len(matrix)
    names = [f"x{i}" for i in range(n)]
    comparisons = {(names[i], names[j]): matrix[i, j] for i in range(n) for j in range(i + 1, n)}
    compare = ahpy.Compare("m", comparisons, precision=14, random_index=random_index)
    return np.array([compare.local_weights[name] for name in names]), compare.consistency_ratio


@pytest.mark.parametrize("example_matrix", EXAMPLES, indirect=True)
@pytest.mark.parametrize(("theirs", "ours"), [("saaty", "saaty2005"), ("dd", "donegan_dodd1991")])
def test_agrees_with_ahpy(example_matrix, theirs, ours):
    weights, cr = ahpy_compare(example_matrix, theirs)
    evaluation = ahp.evaluate(example_matrix, random_index=ours)
    np.testing.assert_allclose(evaluation.priorities, weights, atol=1e-6)
    assert evaluation.consistency_ratio == pytest.approx(cr, abs=1e-6)


@pytest.mark.parametrize("example_matrix", EXAMPLES, indirect=True)
def test_agrees_with_pydecision(example_matrix, pydecision_ahp):
    weights, cr = pydecision_ahp.ahp_method(example_matrix, wd="max_eigen")
    np.testing.assert_allclose(ahp.priorities(example_matrix), weights, atol=1e-6)
    assert ahp.consistency_ratio(example_matrix, "saaty1980") == pytest.approx(cr, abs=1e-6)
    geometric, _ = pydecision_ahp.ahp_method(example_matrix, wd="geometric")
    np.testing.assert_allclose(ahp.priorities(example_matrix, "geometric"), geometric, atol=1e-6)


@pytest.mark.parametrize("n", [20, 60, 100])
def test_agrees_with_ahpy_beyond_saatys_tables(n):
    rng = np.random.default_rng(n)
    w = rng.uniform(1, 9, n)
    noise = np.exp(rng.normal(0, 0.2, (n, n)))
    upper = np.triu_indices(n, 1)
    matrix = np.ones((n, n))
    matrix[upper] = (w[:, None] / w[None, :] * noise)[upper]
    matrix[upper[::-1]] = 1 / matrix[upper]
    weights, cr = ahpy_compare(matrix, "dd")
    evaluation = ahp.evaluate(matrix, random_index="donegan_dodd1991")
    np.testing.assert_allclose(evaluation.priorities, weights, atol=1e-6)
    assert evaluation.consistency_ratio == pytest.approx(cr, abs=1e-6)


def test_leader_hierarchy_agrees_with_ahpy_and_its_documentation(from_upper):
    ahpy = pytest.importorskip("ahpy")
    people = ["Moll", "Nell", "Sue"]
    criteria = ["Experience", "Education", "Charisma", "Age"]
    local = {
        "Experience": [1 / 4, 4, 9],
        "Education": [3, 1 / 5, 1 / 7],
        "Charisma": [5, 9, 4],
        "Age": [1 / 3, 5, 9],
    }
    goal = ahp.Criterion(
        "Criteria",
        [ahp.Criterion(c, people, from_upper(local[c])) for c in criteria],
        from_upper(MORE["leader criteria"]),
    )
    ours = ahp.evaluate_hierarchy(goal, random_index="saaty2005")
    # AHPy's documentation (rounding every level to 3 decimals): Nell 0.493, Moll 0.358, Sue 0.15;
    # CRs 0.035, 0.062, 0.044.
    documented = {"Moll": 0.358, "Nell": 0.493, "Sue": 0.15}
    assert ours.priorities == pytest.approx(documented, abs=1.5e-3)
    assert sum(ours.priorities.values()) == pytest.approx(1.0, abs=1e-12)
    assert round(ours.consistency_ratios["Experience"], 3) == 0.035
    assert round(ours.consistency_ratios["Education"], 3) == 0.062
    assert round(ours.consistency_ratios["Criteria"], 3) == 0.044

    def compare(name, names, upper):
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
        return ahpy.Compare(
            name, dict(zip(pairs, upper, strict=True)), precision=14, random_index="saaty"
        )

    children = [compare(c, people, local[c]) for c in criteria]
    parent = compare("Criteria", criteria, MORE["leader criteria"])
    parent.add_children(children)
    for person in people:
        assert ours.priorities[person] == pytest.approx(parent.target_weights[person], abs=1e-6)
    for child in children:
        assert ours.consistency_ratios[child.name] == pytest.approx(
            child.consistency_ratio, abs=1e-6
        )
