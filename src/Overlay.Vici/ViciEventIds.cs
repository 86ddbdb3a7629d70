namespace Overlay.Vici;

/// <summary>Event ids of Overlay.Vici log messages (range 8000–8099; never reused).</summary>
public static class ViciEventIds
{
    /// <summary>Connected to charon's VICI socket (Debug).</summary>
    public const int Connected = 8000;

    /// <summary>The connection to charon was lost; commands fail until it is back (Warning).</summary>
    public const int ConnectionLost = 8001;

    /// <summary>Reconnected to charon and registered the subscribed events again (Information).</summary>
    public const int Reconnected = 8002;

    /// <summary>A reconnection attempt failed; the next one follows after a back-off (Debug).</summary>
    public const int ReconnectFailed = 8003;

    /// <summary>A subscriber did not keep up and the oldest buffered events were dropped (Warning).</summary>
    public const int EventsDropped = 8004;

    /// <summary>A command was sent (Trace): its name and the request's structure, never its values.</summary>
    public const int CommandSent = 8005;
}
