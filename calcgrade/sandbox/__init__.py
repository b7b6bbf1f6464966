"""How a submission is isolated from the grader and from every other submission.

- `process`: the grader's handle on one student's process (`StudentProcess`): started in a
  bubblewrap sandbox under the limits of `calcgrade.limits`, spoken to over a data-only channel,
  killed when it overruns; `ForkServer`, the warm sandbox that forks one per submission;
- `fork_server`: the server's side of it, inside the sandbox;
- `student_side`: what runs in the student's process: their cells, and answers to the grader's
  requests (a name's value, a call of their function);
- `codec`: the one codec for values that cross the channel, each kind's encoder and decoder side
  by side;
- `submission`: a submission's folder taken as untrusted (links and special files quarantined).
"""
