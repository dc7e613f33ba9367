namespace Rx.WebSockets;

/// <summary>Which end of the connection an object acts for; it decides masking (RFC 6455 §5.1).</summary>
public enum Side
{
    /// <summary>The server: receives masked frames and sends unmasked ones.</summary>
    Server,

    /// <summary>The client: masks every frame it sends and receives unmasked ones.</summary>
    Client,
}
