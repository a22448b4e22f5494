"""Store every contact's phone in E.164, read in its tenant's default region.

Phones used to be stored as "digits with an optional +", so "+81 90 3141 5926" (the
PBX's caller id) and "090-3141-5926" (typed by an agent) were two contacts. New rows
are normalised by Contact.normalize() (contacts/phones.py); this rewrites the stored
ones once, tenant by tenant, with that tenant's default_phone_region. A phone that
is not a phone number is left as it is (the contact's page asks for a valid one when
it is next saved).
"""

from django.core.exceptions import ValidationError
from django.db import migrations

BATCH = 1000


def phones_to_e164(apps, schema_editor):
    from contacts.phones import normalize_phone

    Tenant = apps.get_model("ccadmin", "Tenant")
    Contact = apps.get_model("contacts", "Contact")
    for tenant_id, region in Tenant.objects.values_list("pk", "default_phone_region"):
        changed = []
        rows = (
            Contact.objects.filter(tenant_id=tenant_id)
            .exclude(phone="")
            .only("pk", "phone")
            .iterator(chunk_size=BATCH)
        )
        for contact in rows:
            try:
                stored = normalize_phone(contact.phone, region)
            except ValidationError:
                continue
            if stored != contact.phone:
                contact.phone = stored
                changed.append(contact)
            if len(changed) >= BATCH:
                Contact.objects.bulk_update(changed, ["phone"])
                changed = []
        if changed:
            Contact.objects.bulk_update(changed, ["phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("ccadmin", "0004_tenant_default_phone_region"),
        ("contacts", "0004_sender_indexes"),
    ]

    operations = [
        migrations.RunPython(phones_to_e164, migrations.RunPython.noop, elidable=True),
    ]
