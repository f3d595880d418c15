"""The settings the tests run with: the app's own (and DEBUG off, as pytest-django runs every test),
with the embedded emulator on and knowing the tokens the tests and the app call it with."""

from streamsadmin.settings import *  # noqa: F403

EMULATOR_ENABLED = True
every_capability = (
    "streamsAcl:READ streamsAcl:CREATE streamsAcl:DELETE streamRecordsAcl:READ streamRecordsAcl:WRITE "
    "dataModelsAcl:READ dataModelsAcl:WRITE"
)
# test-token: the tests' own calls (conftest.TOKEN); dev-token: the app's (CDF_TOKEN's default).
EMULATOR_TOKENS += f";test-token={every_capability};dev-token={every_capability}"  # noqa: F405
# The live server and the test client speak plain HTTP.
SECURE_SSL_REDIRECT = False
