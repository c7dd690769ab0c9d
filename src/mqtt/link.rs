//! One connection abstraction over rumqttc's MQTT 3.1.1 and MQTT 5 clients.
//! `Client` sends (publish, subscribe, unsubscribe, disconnect) and `Link`
//! polls, turning either version's packets into the same `Polled` values and
//! either version's errors into the same words. The worker and the rest of the
//! app never ask which version is in use.

use rumqttc::v5;
use rumqttc::v5::mqttbytes::v5 as v5b;

use super::words::{
    describe_connection_error, describe_v5_error, disconnect_words, puback_words, pubrec_words, suback_words,
};
use super::{qos_from, qos_v5};
use crate::vocab::{ConnectionSpec, MessageProperties, ProtocolVersion, ReceivedMessage, Subscription};

/// What one `poll()` produced, the same for both protocol versions.
pub(super) enum Polled {
    Message(ReceivedMessage),
    ConnAck,
    /// A SUBSCRIBE left with this packet id.
    SubscribeSent(u16),
    /// One result per filter of the SUBSCRIBE `pkid`: granted QoS, or why it was refused.
    SubAck {
        pkid: u16,
        codes: Vec<Result<u8, String>>,
    },
    UnsubAck,
    /// A PUBLISH of ours left with this packet id (0 for QoS 0).
    PublishSent(u16),
    /// The broker acknowledged (PUBACK/PUBCOMP) one of ours, or refused it (MQTT 5).
    PublishAcked {
        pkid: u16,
        refused: Option<String>,
    },
    /// The broker is ending the connection (MQTT 5 DISCONNECT), in words.
    Disconnected(String),
    DisconnectSent,
    Other,
}

#[derive(Clone)]
pub(super) enum Client {
    V4(rumqttc::AsyncClient),
    V5(v5::AsyncClient),
}

pub(super) enum Link {
    V4(Box<rumqttc::EventLoop>),
    V5(Box<v5::EventLoop>),
}

/// Build the client and its event loop for this spec. Fails (in words) when
/// the TLS files cannot be used.
pub(super) fn connect(spec: &ConnectionSpec, client_id: &str) -> Result<(Client, Link), String> {
    match spec.protocol {
        ProtocolVersion::V311 => {
            let (client, mut eventloop) = rumqttc::AsyncClient::new(spec.v4_options(client_id)?, 1_024);
            eventloop.set_network_options(spec.network_options());
            Ok((Client::V4(client), Link::V4(Box::new(eventloop))))
        }
        ProtocolVersion::V5 => {
            let (client, eventloop) = v5::AsyncClient::new(spec.v5_options(client_id)?, 1_024);
            Ok((Client::V5(client), Link::V5(Box::new(eventloop))))
        }
    }
}

fn v5_filter(sub: &Subscription) -> v5b::Filter {
    let mut filter = v5b::Filter::new(sub.filter.clone(), qos_v5(sub.qos));
    filter.nolocal = sub.no_local;
    filter.preserve_retain = sub.retain_as_published;
    filter.retain_forward_rule = match sub.retain_handling {
        0 => v5b::RetainForwardRule::OnEverySubscribe,
        1 => v5b::RetainForwardRule::OnNewSubscribe,
        _ => v5b::RetainForwardRule::Never,
    };
    filter
}

fn v5_publish_properties(p: &MessageProperties) -> v5b::PublishProperties {
    v5b::PublishProperties {
        payload_format_indicator: p.payload_is_utf8.map(u8::from),
        message_expiry_interval: p.message_expiry_s,
        topic_alias: None,
        response_topic: p.response_topic.clone(),
        correlation_data: p.correlation_data.clone().map(Into::into),
        user_properties: p.user_properties.clone(),
        subscription_identifiers: Vec::new(),
        content_type: p.content_type.clone(),
    }
}

pub(super) type SendResult = Result<(), String>;

impl Client {
    pub async fn publish(
        &self,
        topic: String,
        qos: u8,
        retain: bool,
        payload: Vec<u8>,
        props: &MessageProperties,
    ) -> SendResult {
        match self {
            Client::V4(c) => c
                .publish(topic, qos_from(qos), retain, payload)
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) if props.is_empty() => c
                .publish(topic, qos_v5(qos), retain, payload)
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .publish_with_properties(topic, qos_v5(qos), retain, payload, v5_publish_properties(props))
                .await
                .map_err(|e| e.to_string()),
        }
    }

    pub async fn subscribe(&self, sub: &Subscription) -> SendResult {
        match self {
            Client::V4(c) => c
                .subscribe(sub.filter.clone(), qos_from(sub.qos))
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => c.subscribe_many([v5_filter(sub)]).await.map_err(|e| e.to_string()),
        }
    }

    /// Subscribe to all of these in one SUBSCRIBE without waiting: called
    /// from the polling task, which is the one draining the request channel.
    pub fn try_subscribe_many(&self, subs: &[Subscription]) -> SendResult {
        match self {
            Client::V4(c) => c
                .try_subscribe_many(
                    subs.iter()
                        .map(|s| rumqttc::SubscribeFilter::new(s.filter.clone(), qos_from(s.qos))),
                )
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .try_subscribe_many(subs.iter().map(v5_filter))
                .map_err(|e| e.to_string()),
        }
    }

    pub async fn unsubscribe(&self, filter: String) -> SendResult {
        match self {
            Client::V4(c) => c.unsubscribe(filter).await.map_err(|e| e.to_string()),
            Client::V5(c) => c.unsubscribe(filter).await.map_err(|e| e.to_string()),
        }
    }

    pub fn try_disconnect(&self) {
        let _ = match self {
            Client::V4(c) => c.try_disconnect().map_err(|e| e.to_string()),
            Client::V5(c) => c.try_disconnect().map_err(|e| e.to_string()),
        };
    }
}

impl Link {
    /// The next event of the connection. Never cancel this future midway:
    /// rumqttc may be writing acks (see the worker).
    pub async fn poll(&mut self, address: &str) -> Result<Polled, (String, bool)> {
        match self {
            Link::V4(eventloop) => match eventloop.poll().await {
                Ok(event) => Ok(polled_v4(event)),
                Err(e) => Err(describe_connection_error(&e, address)),
            },
            Link::V5(eventloop) => match eventloop.poll().await {
                Ok(event) => Ok(polled_v5(event)),
                Err(e) => Err(describe_v5_error(&e, address)),
            },
        }
    }
}

fn polled_v4(event: rumqttc::Event) -> Polled {
    use rumqttc::{Event, Outgoing, Packet, SubscribeReasonCode};
    match event {
        Event::Incoming(Packet::Publish(p)) => {
            Polled::Message(ReceivedMessage::new(p.topic, &p.payload[..], p.qos as u8, p.retain).with_dup(p.dup))
        }
        Event::Incoming(Packet::ConnAck(_)) => Polled::ConnAck,
        Event::Incoming(Packet::SubAck(ack)) => Polled::SubAck {
            pkid: ack.pkid,
            codes: ack
                .return_codes
                .into_iter()
                .map(|code| match code {
                    SubscribeReasonCode::Success(qos) => Ok(qos as u8),
                    SubscribeReasonCode::Failure => Err("refused by the broker (SUBACK 0x80)".to_owned()),
                })
                .collect(),
        },
        Event::Outgoing(Outgoing::Subscribe(pkid)) => Polled::SubscribeSent(pkid),
        Event::Incoming(Packet::UnsubAck(_)) => Polled::UnsubAck,
        Event::Incoming(Packet::PubAck(ack)) => Polled::PublishAcked {
            pkid: ack.pkid,
            refused: None,
        },
        Event::Incoming(Packet::PubComp(ack)) => Polled::PublishAcked {
            pkid: ack.pkid,
            refused: None,
        },
        Event::Outgoing(Outgoing::Publish(pkid)) => Polled::PublishSent(pkid),
        Event::Outgoing(Outgoing::Disconnect) => Polled::DisconnectSent,
        _ => Polled::Other,
    }
}

fn polled_v5(event: v5::Event) -> Polled {
    use rumqttc::Outgoing;
    use v5::{Event, Incoming};
    match event {
        Event::Incoming(Incoming::Publish(p)) => {
            // Not UTF-8 (some brokers pass such topics on): kept, escaped, counted by the Model.
            let topic = crate::vocab::topic::from_wire(&p.topic);
            let properties = p.properties.map(|props| MessageProperties {
                payload_is_utf8: props.payload_format_indicator.map(|f| f == 1),
                message_expiry_s: props.message_expiry_interval,
                content_type: props.content_type,
                response_topic: props.response_topic,
                correlation_data: props.correlation_data.map(|d| d.to_vec().into_boxed_slice()),
                user_properties: props.user_properties,
                subscription_ids: props.subscription_identifiers,
            });
            let message = ReceivedMessage::new(topic, &p.payload[..], p.qos as u8, p.retain).with_dup(p.dup);
            Polled::Message(match properties {
                Some(properties) => message.with_properties(properties),
                None => message,
            })
        }
        Event::Incoming(Incoming::ConnAck(_)) => Polled::ConnAck,
        Event::Incoming(Incoming::SubAck(ack)) => {
            let reason = ack.properties.and_then(|p| p.reason_string);
            Polled::SubAck {
                pkid: ack.pkid,
                codes: ack
                    .return_codes
                    .into_iter()
                    .map(|code| match code {
                        v5b::SubscribeReasonCode::Success(qos) => Ok(qos as u8),
                        other => Err(suback_words(other, reason.as_deref())),
                    })
                    .collect(),
            }
        }
        Event::Outgoing(Outgoing::Subscribe(pkid)) => Polled::SubscribeSent(pkid),
        Event::Incoming(Incoming::UnsubAck(_)) => Polled::UnsubAck,
        Event::Incoming(Incoming::PubAck(ack)) => Polled::PublishAcked {
            pkid: ack.pkid,
            refused: puback_words(ack.reason),
        },
        Event::Incoming(Incoming::PubRec(rec)) => match pubrec_words(rec.reason) {
            // A refused QoS 2 publish ends at PUBREC: no PUBCOMP follows.
            Some(refused) => Polled::PublishAcked {
                pkid: rec.pkid,
                refused: Some(refused),
            },
            None => Polled::Other,
        },
        Event::Incoming(Incoming::PubComp(comp)) => Polled::PublishAcked {
            pkid: comp.pkid,
            refused: None,
        },
        Event::Incoming(Incoming::Disconnect(d)) => Polled::Disconnected(disconnect_words(d.reason_code)),
        Event::Outgoing(Outgoing::Publish(pkid)) => Polled::PublishSent(pkid),
        Event::Outgoing(Outgoing::Disconnect) => Polled::DisconnectSent,
        _ => Polled::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mqtt5_codes_in_words() {
        let (words, retry) = describe_v5_error(
            &v5::ConnectionError::ConnectionRefused(v5b::ConnectReturnCode::NotAuthorized),
            "h:1",
        );
        assert!(words.contains("not authorised") && words.contains("0x87"), "{words}");
        assert!(!retry);
        let words = disconnect_words(v5b::DisconnectReasonCode::SessionTakenOver);
        assert!(words.contains("same client id") && words.contains("0x8E"), "{words}");
        let words = suback_words(v5b::SubscribeReasonCode::NotAuthorized, Some("acl"));
        assert!(words.contains("not authorised") && words.contains("acl"), "{words}");
        assert_eq!(puback_words(v5b::PubAckReason::NoMatchingSubscribers), None);
        assert!(
            puback_words(v5b::PubAckReason::NotAuthorized)
                .unwrap()
                .contains("not authorised")
        );
    }
}
