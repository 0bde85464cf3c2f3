"""What every app may use and that knows no app: enqueueing jobs, admin building blocks."""
