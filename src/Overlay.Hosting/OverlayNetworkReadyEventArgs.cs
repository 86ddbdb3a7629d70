using Overlay.Backends;
using Overlay.Subnets;

namespace Overlay.Hosting;

/// <summary>Data of <see cref="OverlayAgent.NetworkReady"/>.</summary>
public sealed class OverlayNetworkReadyEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public OverlayNetworkReadyEventArgs(IOverlayNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
    }

    /// <summary>The network that became ready.</summary>
    public IOverlayNetwork Network { get; }

    /// <summary>Its lease.</summary>
    public Lease Lease => Network.Lease;
}
