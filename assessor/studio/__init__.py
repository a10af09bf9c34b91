"""The questionnaire studio: editing a draft bank version (services, forms, views, urls), its
wording, the differences between versions and the impact of a change on existing records."""
