using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Overlay.Backends;

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
