"""Could django-import-export do the contact import's mapping at its speed? (issue 16)

Not part of `make bench`: django-import-export is not a dependency of the project.
Run it against the bench database with the library installed aside, for example:

    pip install --target /tmp/iee --no-deps django-import-export==4.4.3 \
        tablib==3.10.0 diff-match-patch==20241021
    PYTHONPATH=/tmp/iee DATABASE_URL=postgres://.../ccadmin_bench \
        DJANGO_SETTINGS_MODULE=bench.settings python -m bench.import_export_probe 10000

It imports the same Salesforce-shaped CSV twice into fresh clients: with the
project's importer (contacts.imports) and with a django-import-export Resource that
maps the same headers (`column_name`), checks each row with the model's rules
(`clean_model_instances`), finds re-imported contacts by email (`import_id_fields`,
the project's re-import rule) and inserts in bulk (`use_bulk`, batches of 1,000);
companies are created beforehand, since its ForeignKeyWidget only finds them. It
prints seconds and rows per second of each.
"""

import sys
import tempfile
import time
from pathlib import Path


def main(rows: int) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from import_export import fields, resources, widgets
    from tablib import Dataset

    from bench.cases.contact_import import SALESFORCE_HEADER, write_csv
    from bench.harness import prepare
    from contacts.imports import import_contacts
    from contacts.models import Company, Contact
    from partitions.models import ClientPartition

    ctx = prepare()
    tenant = ctx["tenants"]["bench"]
    actor = User.objects.get(username="bench")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "salesforce.csv"
        write_csv(path, rows, SALESFORCE_HEADER)

        ours = ClientPartition.objects.create(tenant=tenant, name="Probe: project")
        started = time.perf_counter()
        with path.open("rb") as handle:
            result = import_contacts(handle, tenant=tenant, partition=ours, actor=actor)
        project = time.perf_counter() - started
        assert result.imported == rows, result.describe()

        theirs = ClientPartition.objects.create(tenant=tenant, name="Probe: iee")
        names = {f"Company {i // 20}" for i in range(rows)}
        Company.objects.bulk_create(
            Company(tenant=tenant, partition=theirs, name=name) for name in names
        )

        class ClientCompanyWidget(widgets.ForeignKeyWidget):
            def get_queryset(self, value, row, *args, **kwargs):
                return Company.objects.filter(tenant=tenant, partition=theirs)

        class ContactResource(resources.ModelResource):
            first_name = fields.Field("first_name", column_name="First Name")
            last_name = fields.Field("last_name", column_name="Last Name")
            email = fields.Field("email", column_name="Email")
            phone = fields.Field("phone", column_name="Phone")
            title = fields.Field("title", column_name="Title")
            company = fields.Field(
                "company",
                column_name="Account Name",
                widget=ClientCompanyWidget(Company, "name"),
            )

            class Meta:
                model = Contact
                fields = ("first_name", "last_name", "email", "phone", "title")
                fields += ("company",)
                import_id_fields = ("email",)
                use_bulk = True
                batch_size = 1000
                skip_diff = True
                clean_model_instances = True

            def get_queryset(self):
                # Re-imported contacts are looked up inside the client only.
                return Contact.objects.filter(tenant=tenant, partition=theirs)

            def init_instance(self, row=None):
                return Contact(tenant=tenant, partition=theirs)

        started = time.perf_counter()
        dataset = Dataset().load(path.read_text(encoding="utf-8"), format="csv")
        outcome = ContactResource().import_data(dataset, raise_errors=True)
        library = time.perf_counter() - started
        assert not outcome.has_errors()
        assert Contact.objects.filter(partition=theirs).count() == rows
    print(f"rows: {rows:,}")
    print(f"project importer: {project:.1f} s ({rows / project:,.0f} rows/s)")
    print(f"django-import-export: {library:.1f} s ({rows / library:,.0f} rows/s)")
    print(f"ratio: {library / project:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
