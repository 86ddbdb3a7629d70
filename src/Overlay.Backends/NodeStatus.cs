using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Overlay.Backends;

/// <summary>
/// A problem of the node as a whole, not of one peer: a cloud route table that is full, credentials
/// the provider rejects, a key-exchange daemon that is down, a network configuration that is missing.
/// </summary>
/// <param name="Code">A stable identifier of the kind of problem (for example <c>RouteTableFull</c>,
/// <c>CredentialsRejected</c>, <c>NetworkConfigMissing</c>); one problem per code at a time.</param>
/// <param name="Message">What is wrong and, where known, what to do about it. Never a secret.</param>
/// <param name="Since">When the problem was first reported (a report with the same code and a new
/// message keeps this time).</param>
public sealed record NodeProblem(string Code, string Message, DateTimeOffset Since)
{
    /// <inheritdoc />
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The node-level status of a network or an agent: the problems that belong to no peer.</summary>
/// <param name="Problems">The current problems, ordered by code.</param>
public sealed record NodeStatus(ImmutableArray<NodeProblem> Problems)
{
    /// <summary>No problems.</summary>
    public static NodeStatus Healthy { get; } = new(ImmutableArray<NodeProblem>.Empty);

    /// <summary>True when there is no problem.</summary>
    public bool IsHealthy => Problems.IsDefaultOrEmpty;

    /// <summary>The problems as one line (<c>Code: message; …</c>), empty when healthy.</summary>
    public string Summary => IsHealthy ? string.Empty : string.Join("; ", Problems);

    /// <summary>The problem with <paramref name="code"/>, or null.</summary>
    /// <param name="code">The problem's code (ordinal comparison).</param>
    /// <returns>The problem, or null when there is none with that code.</returns>
    public NodeProblem? Find(string code)
    {
        foreach (NodeProblem problem in Problems.IsDefault ? [] : Problems)
        {
            if (string.Equals(problem.Code, code, StringComparison.Ordinal))
            {
                return problem;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override string ToString() => IsHealthy ? "healthy" : Summary;
}

/// <summary>Data of a node status change.</summary>
public sealed class NodeStatusChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="previous">The status before.</param>
    /// <param name="current">The status after.</param>
    public NodeStatusChangedEventArgs(NodeStatus previous, NodeStatus current)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        Previous = previous;
        Current = current;
    }

    /// <summary>The status before the change.</summary>
    public NodeStatus Previous { get; }

    /// <summary>The status after the change.</summary>
    public NodeStatus Current { get; }
}

/// <summary>
/// Keeps a node's problems and raises <see cref="Changed"/> when they change — the building block
/// of <see cref="IOverlayNetwork.Status"/> for any network, first-party or not. Thread-safe;
/// reporting the same problem again with the same message changes nothing; a subscriber that throws
/// is logged and never reaches the reporter.
/// </summary>
public sealed class NodeStatusTracker
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private NodeStatus _current = NodeStatus.Healthy;

    /// <summary>Creates a tracker with no problems.</summary>
    /// <param name="timeProvider">The clock for <see cref="NodeProblem.Since"/>; the system clock by default.</param>
    /// <param name="logger">Where problems, their clearing and failing subscribers are logged; none by default.</param>
    public NodeStatusTracker(TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Raised after every change, outside the tracker's lock, in the reporting thread.</summary>
    public event EventHandler<NodeStatusChangedEventArgs>? Changed;

    /// <summary>The current status.</summary>
    public NodeStatus Current => Volatile.Read(ref _current);

    /// <summary>Reports (or updates the message of) the problem <paramref name="code"/>.</summary>
    /// <param name="code">The problem's stable code.</param>
    /// <param name="message">What is wrong; never a secret.</param>
    /// <returns>True when the status changed.</returns>
    public bool Report(string code, string message)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        NodeStatus previous, current;
        lock (_lock)
        {
            previous = _current;
            NodeProblem? existing = previous.Find(code);
            if (existing is not null && string.Equals(existing.Message, message, StringComparison.Ordinal))
            {
                return false;
            }

            var problem = new NodeProblem(code, message, existing?.Since ?? _time.GetUtcNow());
            current = new NodeStatus([.. previous.Problems.Where(p => !string.Equals(p.Code, code, StringComparison.Ordinal)).Append(problem).OrderBy(p => p.Code, StringComparer.Ordinal)]);
            Volatile.Write(ref _current, current);
        }

        Log.NodeProblemReported(_logger, code, message);
        OverlayEvents.Raise(Changed, this, new NodeStatusChangedEventArgs(previous, current), _logger, nameof(Changed));
        return true;
    }

    /// <summary>Clears the problem <paramref name="code"/>, if reported.</summary>
    /// <param name="code">The problem's code.</param>
    /// <returns>True when the status changed.</returns>
    public bool Clear(string code)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        NodeStatus previous, current;
        lock (_lock)
        {
            previous = _current;
            if (previous.Find(code) is null)
            {
                return false;
            }

            ImmutableArray<NodeProblem> left = [.. previous.Problems.Where(p => !string.Equals(p.Code, code, StringComparison.Ordinal))];
            current = left.IsEmpty ? NodeStatus.Healthy : new NodeStatus(left);
            Volatile.Write(ref _current, current);
        }

        TimeSpan lasted = _time.GetUtcNow() - previous.Find(code)!.Since;
        Log.NodeProblemCleared(_logger, code, lasted);
        OverlayEvents.Raise(Changed, this, new NodeStatusChangedEventArgs(previous, current), _logger, nameof(Changed));
        return true;
    }
}

/// <summary>
/// Raises events so that a throwing subscriber cannot fault the loop that raised them: each
/// handler of the invocation list is called in turn, and an exception is logged (event id
/// <see cref="BackendsEventIds.SubscriberFailed"/>) and swallowed. Networks and agents raise every
/// status event through it; third-party networks can too.
/// </summary>
public static class OverlayEvents
{
    /// <summary>Calls every handler of <paramref name="handler"/>; a handler's exception is logged, not thrown.</summary>
    /// <typeparam name="TEventArgs">The event data type.</typeparam>
    /// <param name="handler">The event's delegate (may be null: nothing happens).</param>
    /// <param name="sender">The sender passed to handlers.</param>
    /// <param name="args">The event data.</param>
    /// <param name="logger">Where a failing handler is logged.</param>
    /// <param name="eventName">The event's name, for the log.</param>
    public static void Raise<TEventArgs>(EventHandler<TEventArgs>? handler, object sender, TEventArgs args, ILogger logger, string eventName)
    {
        if (handler is null)
        {
            return;
        }

        ArgumentNullException.ThrowIfNull(logger);
        foreach (Delegate d in handler.GetInvocationList())
        {
            try
            {
                ((EventHandler<TEventArgs>)d)(sender, args);
            }
#pragma warning disable CA1031 // a subscriber's bug must not stop the loop that raised the event
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.SubscriberFailed(logger, eventName, sender.GetType().Name, ex);
            }
        }
    }
}
