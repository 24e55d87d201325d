package sasl2

import "context"

// Task is the server side of an XEP-0388 §2.6 task: a second factor, a
// credential upgrade. One Task value runs one exchange; policy creates a
// fresh one for each authentication.
type Task interface {
	// Name is the task name sent in <continue>, at most 20 characters.
	Name() string
	// Start receives the payload of <next> and returns the first step.
	Start(ctx context.Context, r *Result, payload []Element) (TaskStep, error)
	// Next receives the payload of each <task-data>.
	Next(ctx context.Context, payload []Element) (TaskStep, error)
}

// TaskStep is what a server task produced from one client message. An
// error from Start or Next fails the whole authentication.
type TaskStep struct {
	// Done reports that the task passed. Otherwise Data is sent in a
	// <task-data>.
	Done bool
	Data []Element
	// Result holds elements for <success> once the task passed.
	Result []Element
}

// Alternatives is one requirement of policy: the client passes it by
// passing any one of the tasks.
type Alternatives []Task

// Policy returns the requirements an authenticated user must pass before
// success, in order; none for a plain login. It runs after the mechanism
// succeeds. An error fails the authentication closed.
type Policy func(ctx context.Context, r *Result) ([]Alternatives, error)

// ClientTask is the client side of a task.
type ClientTask interface {
	// Name is the task name.
	Name() string
	// Start returns the payload of <next>.
	Start(ctx context.Context) ([]Element, error)
	// Next answers the payload of a server <task-data>.
	Next(ctx context.Context, payload []Element) ([]Element, error)
}
