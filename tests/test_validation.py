"""Bad input gets a clear error naming the parameter and its allowed range."""
import numpy as np
import pytest

import symbn
from symbn.cli import main
from symbn.validate import ParameterError


@pytest.mark.parametrize("kwargs,message", [
    ({"K": 0}, "K must be >= 1, got 0"),
    ({"K": 2.5}, "K must be an integer >= 1, got 2.5"),
    ({"K": [1, 2, -3]}, "K must be >= 1, got -3.0 (at index (2,))"),
    ({"tau": 0}, "tau must be > 0, got 0"),
    ({"tau": -1.0}, "tau must be > 0, got -1.0"),
    ({"tau": np.nan}, "tau must be finite, got nan"),
    ({"K": np.inf}, "K must be finite, got inf"),
    ({"tau": "abc"}, "tau must be a real number"),
])
def test_numeric_api_rejects(kwargs, message):
    args = {"K": 2, "tau": 1.0, **kwargs}
    with pytest.raises(ParameterError) as err:
        symbn.spectrum("vanilla", args["K"], tau=args["tau"])
    assert message in str(err.value)


def test_unknown_model():
    with pytest.raises(ParameterError, match="unknown model 'batchnorm'; choose one of vanilla, bn, bn-paper, bn-exact"):
        symbn.hessian("batchnorm", 2, tau=1.0)


def test_cli_reports_errors_without_traceback(capsys):
    assert main(["spectrum", "--K", "0"]) == 2
    err = capsys.readouterr().err
    assert "symbn spectrum: error: K must be >= 1" in err and "Traceback" not in err


def test_symbolic_model_lookup():
    from symbn import models

    with pytest.raises(ParameterError, match="unknown model 'bn-fast'"):
        models.get("bn-fast")
