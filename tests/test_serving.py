"""Production serving: the documented environment passes Django's deploy checks."""

from tests.processes import ROOT, run_manage


def production_env() -> dict[str, str]:
    values = {}
    for line in (ROOT / "production.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_documented_production_environment_passes_check_deploy():
    # Checks that do not need the database: the example's host does not exist here.
    env = {
        **production_env(),
        "DATABASE_URL": "sqlite:////tmp/ccadmin-deploy-check.sqlite3",
    }
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_hardened():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.DATABASES['default']['CONN_MAX_AGE'],"
        " s.STORAGES['staticfiles']['BACKEND'],"
        " 'whitenoise.middleware.WhiteNoiseMiddleware' in s.MIDDLEWARE)"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "60",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "True",
    ]
