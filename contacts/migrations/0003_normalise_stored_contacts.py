"""Bring contacts stored before issue 19 to the form Contact.normalize() gives.

The importer and the admin used to store email addresses and phones as typed, so
routing (which matches the normalised form) did not find them: an imported
"090-1111-2222" was not found by a call from that number. New rows are normalised by
the model; this rewrites the old ones once. A phone that is not a phone number is
left as it is (the contact's page will ask for a valid one when it is next saved).
"""

from django.core.exceptions import ValidationError
from django.db import migrations

BATCH = 1000
FIELDS = ["first_name", "last_name", "title", "email", "phone"]


def _normal(contact) -> bool:
    """Normalise the historical row in place (the rule of Contact.normalize, which a
    migration's historical model does not have); return whether it changed."""
    from contacts.phones import normalize_phone

    before = [getattr(contact, name) for name in FIELDS]
    contact.first_name = contact.first_name.strip()
    contact.last_name = contact.last_name.strip()
    contact.title = contact.title.strip()
    contact.email = contact.email.strip().lower()
    contact.phone = contact.phone.strip()
    if contact.phone:
        try:
            contact.phone = normalize_phone(contact.phone)
        except ValidationError:
            pass
    return before != [getattr(contact, name) for name in FIELDS]


def normalise_contacts(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    changed = []
    for contact in Contact.objects.only("pk", *FIELDS).iterator(chunk_size=BATCH):
        if _normal(contact):
            changed.append(contact)
        if len(changed) >= BATCH:
            Contact.objects.bulk_update(changed, FIELDS)
            changed = []
    if changed:
        Contact.objects.bulk_update(changed, FIELDS)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_list_indexes"),
    ]

    operations = [
        migrations.RunPython(
            normalise_contacts, migrations.RunPython.noop, elidable=True
        ),
    ]
