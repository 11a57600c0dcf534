"""Student Records Transfer at the state (docs/TRANSFERS.md): routing a district's request to
the student's former district, and relaying the answer and the packet back."""
