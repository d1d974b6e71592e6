"""The app's forms. Each section's form is in its section module (postmortems.sections);
``base`` has what they all share, the others the forms of the pages around the document."""
