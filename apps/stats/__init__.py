"""Pure statistics on compact numpy arrays: no Django, no models."""
