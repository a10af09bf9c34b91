"""The records' hash chains (see assessor/records/chain.py), and a seal for each record reviewed
before them: its rows as they stand at the upgrade become the first link, so a change made from
then on is found. Sealing here rather than at the first `verify_records` keeps that command
read-only (an auditor's check never changes what it checks) and fixes the moment of trust at
the upgrade, not at whenever someone first runs it."""

import django.db.models.deletion
from django.db import migrations, models


def seal(apps, schema_editor):
    from assessor.records import chain as record_chain

    record_chain.chain_seal(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('assessor', '0011_hardening'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecordLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('kind', models.CharField(max_length=12)),
                ('decision_id', models.BigIntegerField(blank=True, null=True)),
                ('payload', models.JSONField()),
                ('previous', models.CharField(blank=True, max_length=64)),
                ('digest', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('assessment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chain', to='assessor.assessment')),
            ],
            options={
                'ordering': ['assessment', 'position'],
                'constraints': [models.UniqueConstraint(fields=('assessment', 'position'), name='one_link_per_position')],
            },
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
