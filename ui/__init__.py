"""The Qt GUI of Aliquot: thin widgets over the services in app/."""
