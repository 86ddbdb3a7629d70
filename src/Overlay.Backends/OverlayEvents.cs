using Microsoft.Extensions.Logging;

namespace Overlay.Backends;

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
